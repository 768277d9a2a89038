// Unary calls and leases against a real etcd; failover, a wrong CA and a hung etcd. etcdctl is
// the outside witness of what the store holds.
#include <optional>

#include "cluster_fixture.hpp"
#include "etcd_lease.hpp"
#include "etcd_watch.hpp"

namespace weft::test {
namespace {

using cluster::EtcdClient;
using cluster::EtcdStatus;

// A call's answer, filled in by its callback.
template <class T>
struct Answer {
    std::optional<EtcdStatus> status;
    T value{};
    auto callback() {
        return [this](const EtcdStatus& s, T v) {
            status = s;
            value = std::move(v);
        };
    }
    bool done() const { return status.has_value(); }
};

TEST_F(ClusterTest, PutGetDeleteUnderALease) {
    EtcdClient c(loop_, options());
    Answer<cluster::LeaseGrant> lease;
    c.leaseGrant(30, lease.callback());
    ASSERT_TRUE(runUntil([&] { return lease.done(); }, 5s));
    ASSERT_TRUE(lease.status->ok()) << lease.status->message;
    EXPECT_EQ(lease.value.ttl, 30);

    const std::string binary("v\0\xff\n2", 5);
    Answer<int64_t> putA, putB;
    c.put("/weft/t/a", "hello", lease.value.id, putA.callback());
    c.put("/weft/t/b", binary, lease.value.id, putB.callback());
    ASSERT_TRUE(runUntil([&] { return putA.done() && putB.done(); }, 5s));
    ASSERT_TRUE(putA.status->ok()) << putA.status->message;
    EXPECT_GT(putA.value, 1);
    EXPECT_EQ(etcd_->ctl("get /weft/t/a --print-value-only"), "hello\n");

    Answer<cluster::RangeResult> all;
    c.get("/weft/t/", true, 0, all.callback());
    ASSERT_TRUE(runUntil([&] { return all.done(); }, 5s));
    ASSERT_TRUE(all.status->ok()) << all.status->message;
    ASSERT_EQ(all.value.kvs.size(), 2u);
    EXPECT_EQ(all.value.kvs[0].key, "/weft/t/a");
    EXPECT_EQ(all.value.kvs[0].lease, lease.value.id);
    EXPECT_EQ(all.value.kvs[1].value, binary);
    EXPECT_GE(all.value.revision, putB.value);

    Answer<int64_t> delA;
    c.remove("/weft/t/a", false, delA.callback());
    ASSERT_TRUE(runUntil([&] { return delA.done(); }, 5s));
    EXPECT_EQ(delA.value, 1);
    EXPECT_EQ(etcd_->ctl("get /weft/t/ --prefix --keys-only"), "/weft/t/b\n\n");
    Answer<int64_t> delAll;
    c.remove("/weft/t/", true, delAll.callback());
    ASSERT_TRUE(runUntil([&] { return delAll.done(); }, 5s));
    EXPECT_EQ(delAll.value, 1);
    EXPECT_EQ(etcd_->ctl("get /weft/ --prefix --keys-only"), "");
    EXPECT_EQ(c.state(), cluster::ConnectionState::Connected);

    // etcd's own refusal is a Server error, not a reason to fail over.
    Answer<bool> revokeUnknown;
    c.leaseRevoke(12345, revokeUnknown.callback());
    ASSERT_TRUE(runUntil([&] { return revokeUnknown.done(); }, 5s));
    EXPECT_EQ(revokeUnknown.status->kind, EtcdStatus::Kind::Server);
    EXPECT_EQ(revokeUnknown.status->grpcCode, 5) << revokeUnknown.status->message;
}

TEST_F(ClusterTest, KeepAliveHoldsAKeyPastItsTtlAndRevokeOrExpiryRemovesIt) {
    EtcdClient c(loop_, options());
    std::vector<int64_t> leases;
    Answer<int64_t> keptPut, lapsedPut;
    cluster::LeaseKeeper keeper(c, 2s, [&](int64_t id) {
        leases.push_back(id);
        c.put("/weft/n/kept", "1", id, keptPut.callback());
    });
    // A second lease nobody renews.
    c.leaseGrant(2, [&](const EtcdStatus& s, cluster::LeaseGrant g) {
        ASSERT_TRUE(s.ok()) << s.message;
        c.put("/weft/n/lapsed", "1", g.id, lapsedPut.callback());
    });
    ASSERT_TRUE(runUntil([&] { return keptPut.done() && lapsedPut.done(); }, 5s));
    ASSERT_TRUE(keptPut.status->ok()) << keptPut.status->message;
    EXPECT_EQ(etcd_->ctl("get /weft/n/ --prefix --keys-only"),
              "/weft/n/kept\n\n/weft/n/lapsed\n\n");

    runFor(5s);  // two and a half TTLs
    EXPECT_EQ(etcd_->ctl("get /weft/n/ --prefix --keys-only"), "/weft/n/kept\n\n");
    EXPECT_EQ(leases.size(), 1u) << "the kept lease was replaced";
    EXPECT_EQ(keeper.id(), leases.at(0));

    std::optional<bool> revoked;
    keeper.revoke([&](bool ok) { revoked = ok; });
    ASSERT_TRUE(runUntil([&] { return revoked.has_value(); }, 5s));
    EXPECT_TRUE(*revoked);
    EXPECT_EQ(etcd_->ctl("get /weft/n/ --prefix --keys-only"), "");
}

TEST_F(ClusterTest, FailsOverToTheSecondEndpoint) {
    std::string dead = "https://127.0.0.1:" + std::to_string(freePort());
    EtcdClient c(loop_, options({dead, etcd_->endpoint()}));
    Answer<int64_t> put;
    c.put("/weft/f/a", "1", 0, put.callback());
    ASSERT_TRUE(runUntil([&] { return put.done(); }, 5s));
    ASSERT_TRUE(put.status->ok()) << put.status->message;
    EXPECT_EQ(c.preferredEndpoint(), 1u);
    EXPECT_EQ(c.state(), cluster::ConnectionState::Connected);
    EXPECT_EQ(etcd_->ctl("get /weft/f/a --print-value-only"), "1\n");

    // A watch made now goes straight to the endpoint that works.
    std::vector<cluster::WatchEvent> seen;
    cluster::EtcdWatch w(c, "/weft/f/", [&](const cluster::WatchBatch& b) {
        seen.insert(seen.end(), b.events.begin(), b.events.end());
    });
    ASSERT_TRUE(runUntil([&] { return w.streaming(); }, 5s));
    etcd_->ctl("put /weft/f/b 2");
    ASSERT_TRUE(runUntil([&] { return seen.size() == 2; }, 5s));
    EXPECT_EQ(seen[1].key, "/weft/f/b");
}

TEST_F(ClusterTest, AWrongCaIsAClearErrorRetriedWithBackOff) {
    EtcdClient c(loop_, options({}, pki_.otherCa()));
    std::vector<std::string> reasons;
    c.setStateCallback([&](cluster::ConnectionState s, const std::string& reason) {
        if (s == cluster::ConnectionState::Disconnected)
            reasons.push_back(reason);
    });
    Answer<int64_t> put;
    c.put("/weft/ca/a", "1", 0, put.callback());
    ASSERT_TRUE(runUntil([&] { return put.done(); }, 5s));
    EXPECT_EQ(put.status->kind, EtcdStatus::Kind::Transport);
    EXPECT_NE(put.status->message.find("certificate"), std::string::npos) << put.status->message;
    ASSERT_EQ(reasons.size(), 1u);
    EXPECT_NE(reasons[0].find("certificate"), std::string::npos) << reasons[0];
    EXPECT_NE(reasons[0].find(etcd_->endpoint()), std::string::npos) << reasons[0];

    unsigned batches = 0;
    cluster::EtcdWatch w(c, "/weft/ca/", [&](const cluster::WatchBatch&) { ++batches; });
    runFor(3s);
    // 100 ms doubling, jittered: 4 to 8 tries in 3 s; without back-off it would be hundreds.
    EXPECT_GE(w.failuresInRow(), 3u);
    EXPECT_LE(w.failuresInRow(), 10u);
    EXPECT_EQ(batches, 0u);
    EXPECT_EQ(etcd_->ctl("get /weft/ --prefix --keys-only"), "");
}

TEST_F(ClusterTest, TheLoopNeverBlocksWhileEtcdHangsOrIsDown) {
    auto opts = options();
    opts.requestTimeout = 1000ms;
    EtcdClient c(loop_, opts);
    std::vector<cluster::WatchEvent> seen;
    cluster::EtcdWatch w(c, "/weft/h/", [&](const cluster::WatchBatch& b) {
        seen.insert(seen.end(), b.events.begin(), b.events.end());
    });
    ASSERT_TRUE(runUntil([&] { return w.streaming(); }, 5s));

    etcd_->pause();  // connections open, nothing answers: every call runs into its timeout
    std::vector<Answer<int64_t>> puts(5);
    for (auto& p : puts)
        c.put("/weft/h/x", "1", 0, p.callback());
    unsigned ticksBefore = ticks_;
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(runUntil(
        [&] { return std::all_of(puts.begin(), puts.end(), [](auto& p) { return p.done(); }); },
        5s));
    auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, 900ms);
    for (auto& p : puts)
        EXPECT_EQ(p.status->kind, EtcdStatus::Kind::Transport) << p.status->message;
    EXPECT_GE(ticks_ - ticksBefore, unsigned(waited / 50ms) - 3) << "ticks went missing";
    EXPECT_LT(maxGap_.count(), 200);

    etcd_->resume();
    etcd_->kill();  // and now down: refused at once, retried with back-off
    runFor(2s);
    EXPECT_FALSE(w.streaming());
    EXPECT_EQ(c.state(), cluster::ConnectionState::Disconnected);
    EXPECT_LT(maxGap_.count(), 200);

    etcd_->start();
    etcd_->ctl("put /weft/h/back 1");
    ASSERT_TRUE(runUntil([&] { return !seen.empty(); }, 10s));
    EXPECT_EQ(seen.back().key, "/weft/h/back");
    EXPECT_EQ(c.state(), cluster::ConnectionState::Connected);
}

}  // namespace
}  // namespace weft::test
