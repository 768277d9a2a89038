// The prefix watch against a real etcd: the first list, changes, a kill -9 and restart of etcd,
// and a compaction while the watcher was away. etcdctl makes the changes, from outside.
#include <map>
#include <ostream>

#include "cluster_fixture.hpp"
#include "etcd_watch.hpp"

namespace weft::cluster {
// Readable failure messages.
void PrintTo(const WatchEvent& e, std::ostream* os) {
    *os << (e.type == WatchEvent::Type::Put ? "put " : "delete ") << e.key;
    if (e.type == WatchEvent::Type::Put)
        *os << "=" << e.value;
    if (e.modRevision)
        *os << " @" << e.modRevision;
}
}  // namespace weft::cluster

namespace weft::test {
namespace {

using cluster::EtcdClient;
using cluster::EtcdWatch;
using cluster::WatchBatch;
using cluster::WatchEvent;

WatchEvent put(std::string k, std::string v) {
    return {WatchEvent::Type::Put, std::move(k), std::move(v), 0};
}
WatchEvent del(std::string k) {
    return {WatchEvent::Type::Delete, std::move(k), {}, 0};
}
// Events without their revisions, to compare with what the test wrote.
std::vector<WatchEvent> plain(std::vector<WatchEvent> evs) {
    for (auto& e : evs)
        e.modRevision = 0;
    return evs;
}

struct Recorder {
    std::vector<WatchBatch> batches;
    std::vector<WatchEvent> changes;  // the Changes batches' events, in order
    EtcdWatch::Callback callback() {
        return [this](const WatchBatch& b) {
            batches.push_back(b);
            if (b.kind == WatchBatch::Kind::Changes)
                changes.insert(changes.end(), b.events.begin(), b.events.end());
        };
    }
};

TEST_F(ClusterTest, AWatchDeliversTheListThenChanges) {
    etcd_->ctl("put /weft/w/a 1");
    etcd_->ctl("put /weft/w/b 2");
    etcd_->ctl("put /weft/x/out 3");
    EtcdClient c(loop_, options());
    Recorder r;
    EtcdWatch w(c, "/weft/w/", r.callback());
    ASSERT_TRUE(runUntil([&] { return w.streaming(); }, 5s));
    ASSERT_EQ(r.batches.size(), 1u);
    EXPECT_EQ(r.batches[0].kind, WatchBatch::Kind::Initial);
    EXPECT_EQ(plain(r.batches[0].events),
              (std::vector{put("/weft/w/a", "1"), put("/weft/w/b", "2")}));

    etcd_->ctl("put /weft/w/c 3");
    etcd_->ctl("del /weft/w/a");
    etcd_->ctl("put /weft/x/out 4");
    etcd_->ctl("put /weft/w/b 5");
    ASSERT_TRUE(runUntil([&] { return r.changes.size() >= 3; }, 5s));
    runFor(300ms);  // nothing more may come
    EXPECT_EQ(plain(r.changes),
              (std::vector{put("/weft/w/c", "3"), del("/weft/w/a"), put("/weft/w/b", "5")}));
    EXPECT_EQ(w.keys().size(), 2u);
    EXPECT_EQ(w.keys().at("/weft/w/b").value, "5");
    EXPECT_EQ(w.revision(), etcd_->revision());
}

TEST_F(ClusterTest, AWatchResumesAfterEtcdIsKilledAndRestarted) {
    EtcdClient c(loop_, options());
    std::vector<cluster::ConnectionState> states;
    c.setStateCallback(
        [&](cluster::ConnectionState s, const std::string&) { states.push_back(s); });
    Recorder r;
    EtcdWatch w(c, "/weft/r/", r.callback());
    ASSERT_TRUE(runUntil([&] { return w.streaming(); }, 5s));

    std::vector<WatchEvent> written;
    auto write = [&](int i) {
        std::string k = "/weft/r/k" + std::to_string(i), v = "v" + std::to_string(i);
        etcd_->ctl("put " + k + " " + v);
        written.push_back(put(k, v));
    };
    for (int i = 1; i <= 3; ++i)
        write(i);
    ASSERT_TRUE(runUntil([&] { return r.changes.size() == 3; }, 5s));
    // Two more that the watcher has not read when etcd dies.
    write(4);
    write(5);
    etcd_->kill();
    runFor(1s);
    EXPECT_FALSE(w.streaming());
    etcd_->start();
    for (int i = 6; i <= 8; ++i)
        write(i);
    ASSERT_TRUE(runUntil([&] { return r.changes.size() >= written.size(); }, 15s))
        << "saw " << r.changes.size() << " of " << written.size();
    runFor(500ms);                         // and no repeats after
    EXPECT_EQ(plain(r.changes), written);  // each once, in order
    for (size_t i = 1; i < r.changes.size(); ++i)
        EXPECT_GT(r.changes[i].modRevision, r.changes[i - 1].modRevision);
    EXPECT_GE(w.reconnects(), 1u);
    EXPECT_EQ(w.relists(), 0u);
    ASSERT_GE(states.size(), 3u);
    EXPECT_EQ(states[states.size() - 2], cluster::ConnectionState::Disconnected);
    EXPECT_EQ(states.back(), cluster::ConnectionState::Connected);
}

TEST_F(ClusterTest, ACompactionWhileTheWatcherWasAwayIsRelistedAsADiff) {
    for (const char* k : {"a", "b", "c"})
        etcd_->ctl(std::string("put /weft/c/") + k + " 1");
    EtcdClient c(loop_, options());
    Recorder r;
    EtcdWatch w(c, "/weft/c/", r.callback());
    ASSERT_TRUE(runUntil([&] { return w.streaming(); }, 5s));
    ASSERT_EQ(r.batches.at(0).events.size(), 3u);

    etcd_->kill();
    runFor(500ms);  // the watcher sees its stream break
    // While the test does not run the loop, the watcher cannot come back: change and compact.
    etcd_->start();
    etcd_->ctl("put /weft/c/b 2");
    etcd_->ctl("del /weft/c/c");
    etcd_->ctl("put /weft/c/d 1");
    etcd_->ctl("put /weft/c/e 1");
    etcd_->ctl("del /weft/c/e");
    etcd_->ctl("compact " + std::to_string(etcd_->revision()));

    ASSERT_TRUE(runUntil([&] { return w.relists() == 1 && w.streaming(); }, 10s));
    ASSERT_EQ(r.batches.size(), 2u);
    EXPECT_EQ(r.batches[1].kind, WatchBatch::Kind::Resync);
    EXPECT_EQ(plain(r.batches[1].events),
              (std::vector{put("/weft/c/b", "2"), put("/weft/c/d", "1"), del("/weft/c/c")}));
    EXPECT_TRUE(r.changes.empty());
    std::map<std::string, std::string> held;
    for (const auto& [k, kv] : w.keys())
        held[k] = kv.value;
    EXPECT_EQ(held, (std::map<std::string, std::string>{
                        {"/weft/c/a", "1"}, {"/weft/c/b", "2"}, {"/weft/c/d", "1"}}));

    // And it watches on from the new list.
    etcd_->ctl("put /weft/c/f 1");
    ASSERT_TRUE(runUntil([&] { return r.changes.size() == 1; }, 5s));
    EXPECT_EQ(plain(r.changes), (std::vector{put("/weft/c/f", "1")}));
}

}  // namespace
}  // namespace weft::test
