// Groups, subscribers and the bounded queue of NflogReceiver, against the real kernel.
#include <netinet/in.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <thread>

#include "nflog_fixture.hpp"

namespace weft::test {
namespace {

using kernel::NflogReceiver;

std::multiset<uint16_t> destinationPorts(const std::vector<LoggedPacket>& packets) {
    std::multiset<uint16_t> out;
    for (auto& p : packets)
        out.insert(p.destinationPort.value_or(0));
    return out;
}

TEST_F(NflogTest, TwoGroupsGoToTheirOwnSubscribers) {
    rule("out", "udp dport 40010 log group 20");
    rule("out", "udp dport 40011 log group 21");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> a, b;
    r.subscribe(20, collect(a));
    r.subscribe(21, collect(b));
    sendUdp("127.0.0.1", 40010);
    sendUdp("::1", 40011);
    ASSERT_TRUE(runUntil(loop, [&] { return !a.empty() && !b.empty(); }));
    runFor(loop, 50);
    EXPECT_EQ(destinationPorts(a), std::multiset<uint16_t>{40010});
    EXPECT_EQ(destinationPorts(b), std::multiset<uint16_t>{40011});
    EXPECT_EQ(a[0].group, 20);
    EXPECT_EQ(b[0].group, 21);
}

TEST_F(NflogTest, TwoSubscribersOfOneGroupBothGetEachPacket) {
    rule("out", "udp dport 40012 log group 22");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> a, b;
    r.subscribe(22, collect(a));
    r.subscribe(22, collect(b));
    sendUdp("127.0.0.1", 40012);
    sendUdp("127.0.0.1", 40012);
    ASSERT_TRUE(runUntil(loop, [&] { return a.size() >= 2 && b.size() >= 2; }));
    runFor(loop, 50);
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(b.size(), 2u);
}

// Unsubscribing the last subscriber of a group unbinds it, whether the socket stays open for
// another group (explicit unbind) or closes with it: then another socket can bind the group.
TEST_F(NflogTest, UnsubscribeStopsDeliveryAndUnbinds) {
    rule("out", "udp dport 40013 log group 23");
    rule("out", "udp dport 40014 log group 24");
    NflogReceiver first(loop);
    std::vector<LoggedPacket> a, keep;
    auto idA = first.subscribe(23, collect(a));
    auto idKeep = first.subscribe(24, collect(keep));
    sendUdp("127.0.0.1", 40013);
    ASSERT_TRUE(runUntil(loop, [&] { return a.size() == 1; }));

    first.unsubscribe(idA);
    first.unsubscribe(idA);  // a second time, or an unknown id: ignored
    first.unsubscribe(987654);
    NflogReceiver second(loop);
    std::vector<LoggedPacket> b;
    ASSERT_NO_THROW(second.subscribe(23, collect(b)));
    sendUdp("127.0.0.1", 40013);
    sendUdp("127.0.0.1", 40014);
    ASSERT_TRUE(runUntil(loop, [&] { return b.size() == 1 && keep.size() == 1; }));
    runFor(loop, 50);
    EXPECT_EQ(a.size(), 1u);  // nothing after unsubscribing
    EXPECT_EQ(b.size(), 1u);

    // The last group of `first`: its socket closes, and the group is free again.
    first.unsubscribe(idKeep);
    std::vector<LoggedPacket> c;
    ASSERT_NO_THROW(second.subscribe(24, collect(c)));
    sendUdp("127.0.0.1", 40014);
    ASSERT_TRUE(runUntil(loop, [&] { return c.size() == 1; }));
    runFor(loop, 50);
    EXPECT_EQ(keep.size(), 1u);
}

// A handler that unsubscribes another subscriber: that one gets nothing more, not even what
// was already queued for it.
TEST_F(NflogTest, UnsubscribedDuringDeliveryGetsNothingMore) {
    rule("out", "udp dport 40015 log group 25");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> a, b;
    NflogReceiver::Id idB = 0;
    r.subscribe(25, [&](const LoggedPacket& p) {
        a.push_back(p);
        r.unsubscribe(idB);
    });
    idB = r.subscribe(25, collect(b));
    for (int i = 0; i < 3; ++i)
        sendUdp("127.0.0.1", 40015);
    ASSERT_TRUE(runUntil(loop, [&] { return a.size() == 3; }));
    runFor(loop, 50);
    EXPECT_EQ(b.size(), 0u);
}

TEST_F(NflogTest, ASecondListenerOfAGroupIsRefusedByName) {
    rule("out", "udp dport 40016 log group 26");
    NflogReceiver owner(loop);
    std::vector<LoggedPacket> got;
    owner.subscribe(26, collect(got));
    NflogReceiver other(loop);
    try {
        other.subscribe(26, [](const LoggedPacket&) {});
        FAIL() << "binding a group another socket holds must throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("nflog group 26"), std::string::npos) << e.what();
    }
    // The refused receiver still works for a free group, and the owner still receives.
    std::vector<LoggedPacket> free;
    EXPECT_NO_THROW(other.subscribe(27, collect(free)));
    sendUdp("127.0.0.1", 40016);
    ASSERT_TRUE(runUntil(loop, [&] { return got.size() == 1; }));
}

TEST_F(NflogTest, QueueOverflowDropsTheOldestAndCountsThem) {
    rule("out", "udp dport 40100-40149 log group 28");
    NflogReceiver r(loop, 4);
    std::vector<LoggedPacket> got;
    r.subscribe(28, collect(got));
    for (uint16_t port = 40100; port < 40150; ++port)
        sendUdp("127.0.0.1", port);
    // Let the kernel flush its batches, so one read sees the whole burst before delivery.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_TRUE(runUntil(loop, [&] { return got.size() + r.dropped() >= 50; }));
    runFor(loop, 50);
    EXPECT_EQ(r.dropped(), 46u);
    EXPECT_EQ(destinationPorts(got), (std::multiset<uint16_t>{40146, 40147, 40148, 40149}));
}

// A burst bigger than one delivery batch, with a slow subscriber: another event source runs
// between the batches, and nothing is lost.
TEST_F(NflogTest, ABurstIsDeliveredInBatchesWithoutStarvingTheLoop) {
    rule("out", "udp dport 40200 log group 29");
    NflogReceiver r(loop);
    size_t delivered = 0;
    r.subscribe(29, [&](const LoggedPacket&) {
        ++delivered;
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    });
    constexpr size_t kBurst = 2000;
    for (size_t i = 0; i < kBurst; ++i)
        sendUdp("127.0.0.1", 40200);
    bool tickedMidway = false;
    auto tick = loop.addTimer(std::chrono::milliseconds(1), true, [&] {
        if (delivered > 0 && delivered < kBurst)
            tickedMidway = true;
    });
    ASSERT_TRUE(runUntil(
        loop, [&] { return delivered + r.dropped() >= kBurst; }, 10000));
    loop.cancel(tick);
    EXPECT_EQ(delivered, kBurst);
    EXPECT_EQ(r.dropped(), 0u);
    EXPECT_TRUE(tickedMidway);
}

}  // namespace
}  // namespace weft::test
