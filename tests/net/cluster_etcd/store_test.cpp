// The cluster store weftd runs (ClusterStore) against a real etcd: records under the node lease
// survive a lease lost behind its back, wishes made while etcd is down land when it returns,
// watches see keys relative to the plugin's key space. etcdctl is the outside witness.
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "cluster_fixture.hpp"
#include "cluster_store.hpp"

namespace weft::test {
namespace {

using cluster::ClusterStore;

class StoreTest : public ClusterTest {
  protected:
    cluster::ClusterSettings settings(const std::string& prefix = "/weft/") const {
        cluster::ClusterSettings s;
        s.backend = "etcd";
        s.endpoints = {etcd_->endpoint()};
        s.trustedCaFile = pki_.ca();
        s.certFile = pki_.clientCert();
        s.keyFile = pki_.clientKey();
        s.prefix = prefix;
        s.nodeName = "node-a";
        s.leaseTtl = 5s;
        return s;
    }
    /// Until the store is connected, holds a lease and wrote every wish.
    bool settled(ClusterStore& store, std::chrono::milliseconds timeout = 5s) {
        return runUntil(
            [&] {
                return store.state() == ClusterState::Connected && store.leaseId() != 0 &&
                       store.writer().pending() == 0;
            },
            timeout);
    }
    std::string value(const std::string& key) const {
        return etcd_->ctl("get " + key + " --print-value-only");
    }
};

std::string hex(int64_t id) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llx", (long long)id);
    return buf;
}

TEST(ClusterStoreStandalone, CallsDoNothingButBadKeysAreRefused) {
    EventLoop loop;
    ClusterStore store(loop, "test");
    EXPECT_EQ(store.state(), ClusterState::Standalone);
    store.put("p", "nodes/a", "1", RecordLifetime::Node);
    EXPECT_THROW(store.put("p", "", "1", RecordLifetime::Node), std::invalid_argument);
    EXPECT_THROW(store.put("p", "a/../b", "1", RecordLifetime::Node), std::invalid_argument);
    EXPECT_THROW(store.put("p", "big", std::string((1 << 20) + 1, 'x'), RecordLifetime::Node),
                 std::invalid_argument);
    EXPECT_THROW(store.watch("p", "../", [](const ClusterBatch&) {}), std::invalid_argument);
    auto d = store.describe();
    EXPECT_EQ(d["state"], "standalone");
    EXPECT_EQ(d["backend"], "");
    EXPECT_EQ(d["nodes"], Json::array());
}

TEST_F(StoreTest, NodeRecordsAreWrittenAgainWhenTheLeaseIsRevokedBehindItsBack) {
    ClusterStore store(loop_, "9.9");
    store.configure(settings());
    store.put("mesh", "nodes/node-a", "key-1", RecordLifetime::Node);
    store.put("mesh", "objects/x", "persistent", RecordLifetime::Persistent);
    ASSERT_TRUE(settled(store));
    int64_t first = store.leaseId();
    EXPECT_EQ(value("/weft/mesh/nodes/node-a"), "key-1\n");
    auto core = Json::parse(value("/weft/core/nodes/node-a"));
    EXPECT_EQ(core["node"], "node-a");
    EXPECT_EQ(core["lease"], std::to_string(first));
    EXPECT_EQ(core["ttl"], 5);
    EXPECT_EQ(core["version"], "9.9");

    // The same value again sends nothing: the store's revision stays.
    long long rev = etcd_->revision();
    store.put("mesh", "nodes/node-a", "key-1", RecordLifetime::Node);
    runFor(300ms);
    EXPECT_EQ(etcd_->revision(), rev);

    etcd_->ctl("lease revoke " + hex(first));
    EXPECT_EQ(value("/weft/mesh/nodes/node-a"), "");
    EXPECT_EQ(value("/weft/core/nodes/node-a"), "");
    // The keeper finds the lease gone at its next renewal (every ttl/3) and takes a new one.
    ASSERT_TRUE(runUntil([&] { return store.leaseId() != first && store.leaseId() != 0; }, 5s));
    ASSERT_TRUE(settled(store));
    EXPECT_EQ(value("/weft/mesh/nodes/node-a"), "key-1\n");
    EXPECT_EQ(Json::parse(value("/weft/core/nodes/node-a"))["lease"],
              std::to_string(store.leaseId()));
    EXPECT_EQ(value("/weft/mesh/objects/x"), "persistent\n");  // never under the lease

    // Describe shows the node (from the core watch) and the lease.
    ASSERT_TRUE(runUntil(
        [&] {
            auto n = store.describe()["nodes"];
            return n.size() == 1 && n[0]["lease"] == std::to_string(store.leaseId());
        },
        3s));
    auto d = store.describe();
    EXPECT_EQ(d["backend"], "etcd");
    EXPECT_EQ(d["state"], "connected");
    EXPECT_EQ(d["node"], "node-a");
    EXPECT_EQ(d["lease"]["id"], std::to_string(store.leaseId()));
    EXPECT_EQ(d["lease"]["ttl"], 5);
    EXPECT_EQ(d["endpoints"][0]["url"], etcd_->endpoint());
    EXPECT_EQ(d["endpoints"][0]["preferred"], true);
    EXPECT_EQ(d["nodes"][0]["node"], "node-a");
    EXPECT_EQ(d["nodes"][0]["version"], "9.9");
}

TEST_F(StoreTest, WishesMadeWhileEtcdIsDownLandWhenItComesBack) {
    ClusterStore store(loop_, "test");
    std::vector<ClusterState> states;
    store.onStateChanged([&](ClusterState s) { states.push_back(s); });
    store.configure(settings());
    store.put("mesh", "objects/old", "1", RecordLifetime::Persistent);
    ASSERT_TRUE(settled(store));

    etcd_->kill();
    ASSERT_TRUE(runUntil([&] { return store.state() == ClusterState::Disconnected; }, 10s));
    store.put("mesh", "objects/late", "2", RecordLifetime::Persistent);
    store.put("mesh", "nodes/node-a", "3", RecordLifetime::Node);
    store.remove("mesh", "objects/old");
    store.put("mesh", "objects/never", "x", RecordLifetime::Persistent);
    store.remove("mesh", "objects/never");  // wished and unwished while down: never there
    runFor(1500ms);
    EXPECT_GT(store.writer().pending(), 0u);

    etcd_->start();
    ASSERT_TRUE(settled(store, 15s));
    EXPECT_EQ(value("/weft/mesh/objects/late"), "2\n");
    EXPECT_EQ(value("/weft/mesh/nodes/node-a"), "3\n");
    EXPECT_EQ(value("/weft/mesh/objects/old"), "");
    EXPECT_EQ(value("/weft/mesh/objects/never"), "");
    ASSERT_GE(states.size(), 3u);
    EXPECT_EQ(states[0], ClusterState::Connecting);
    EXPECT_EQ(states[1], ClusterState::Connected);
    EXPECT_EQ(states[2], ClusterState::Disconnected);
    EXPECT_EQ(states.back(), ClusterState::Connected);
}

TEST_F(StoreTest, ADeleteReachesAKeyAnotherNodeWrote) {
    // weave-policy deletes an object cluster-wide that another node applied.
    etcd_->ctl("put /weft/mesh/objects/theirs 1");
    ClusterStore store(loop_, "test");
    store.configure(settings());
    ASSERT_TRUE(settled(store));
    store.remove("mesh", "objects/theirs");
    ASSERT_TRUE(runUntil([&] { return store.writer().pending() == 0; }, 5s));
    EXPECT_EQ(value("/weft/mesh/objects/theirs"), "");
}

TEST_F(StoreTest, AWatchSeesRelativeKeysInitialThenChangesAndCarriesOverAReconfigure) {
    etcd_->ctl("put /weft/mesh/objects/a 1");
    etcd_->ctl("put /weft/mesh/objects/b 2");
    etcd_->ctl("put /weft/mesh/other 3");
    etcd_->ctl("put /weft/policy/objects/z 4");
    ClusterStore store(loop_, "test");
    store.configure(settings());
    std::vector<ClusterBatch> batches;
    auto id = store.watch("mesh", "objects/", [&](const ClusterBatch& b) { batches.push_back(b); });
    ASSERT_TRUE(runUntil([&] { return !batches.empty(); }, 5s));
    ASSERT_EQ(batches.size(), 1u);
    EXPECT_TRUE(batches[0].initial);
    EXPECT_EQ(batches[0].events,
              (std::vector<ClusterEvent>{{ClusterEvent::Type::Put, "objects/a", "1"},
                                         {ClusterEvent::Type::Put, "objects/b", "2"}}));
    ASSERT_TRUE(settled(store));

    etcd_->ctl("put /weft/mesh/objects/c 3");
    etcd_->ctl("del /weft/mesh/objects/a");
    store.put("mesh", "objects/d", "4", RecordLifetime::Persistent);  // our own writes too
    std::vector<ClusterEvent> changes;
    auto collect = [&] {
        changes.clear();
        for (size_t i = 1; i < batches.size(); ++i) {
            EXPECT_FALSE(batches[i].initial);
            changes.insert(changes.end(), batches[i].events.begin(), batches[i].events.end());
        }
        return changes.size();
    };
    ASSERT_TRUE(runUntil([&] { return collect() >= 3; }, 5s));
    EXPECT_EQ(changes, (std::vector<ClusterEvent>{{ClusterEvent::Type::Put, "objects/c", "3"},
                                                  {ClusterEvent::Type::Delete, "objects/a", ""},
                                                  {ClusterEvent::Type::Put, "objects/d", "4"}}));

    // A reload that changes [Cluster] (here the prefix): records move to the new key space,
    // the watch gets the difference as changes, never a second initial batch.
    etcd_->ctl("put /other/mesh/objects/b 2");
    etcd_->ctl("put /other/mesh/objects/e 5");
    size_t before = batches.size();
    store.configure(settings("/other/"));
    ASSERT_TRUE(settled(store));
    ASSERT_TRUE(runUntil([&] { return batches.size() > before; }, 5s));
    runFor(300ms);
    std::map<std::string, std::string> now;
    for (auto& b : batches) {
        for (auto& e : b.events) {
            if (e.type == ClusterEvent::Type::Put)
                now[e.key] = e.value;
            else
                now.erase(e.key);
        }
    }
    for (size_t i = before; i < batches.size(); ++i)
        EXPECT_FALSE(batches[i].initial);
    EXPECT_EQ(now, (std::map<std::string, std::string>{
                       {"objects/b", "2"}, {"objects/d", "4"}, {"objects/e", "5"}}));
    EXPECT_EQ(value("/other/mesh/objects/d"), "4\n");

    // Unwatched: nothing more arrives. Deleted: gone from the store.
    store.unwatch(id);
    size_t seen = batches.size();
    store.remove("mesh", "objects/d");
    ASSERT_TRUE(settled(store));
    runFor(300ms);
    EXPECT_EQ(batches.size(), seen);
    EXPECT_EQ(value("/other/mesh/objects/d"), "");
    EXPECT_EQ(value("/weft/mesh/objects/d"), "4\n");  // the old key space is left as it was
}

}  // namespace
}  // namespace weft::test
