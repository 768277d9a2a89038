// Real packets logged by real nftables rules, decoded by NflogReceiver on a running loop.
#include <netinet/in.h>

#include <chrono>

#include "nflog_fixture.hpp"

namespace weft::test {
namespace {

using kernel::NflogReceiver;
using std::chrono::system_clock;

TEST_F(NflogTest, Ipv4UdpWithPortsPrefixMarkAndOutputInterface) {
    rule("out", "udp dport 40001 meta mark set 0x2a log group 5 prefix \"weft-drop: \"");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> got;
    r.subscribe(5, collect(got));
    auto before = system_clock::now();
    uint16_t sport = sendUdp("127.0.0.1", 40001, 40101);
    ASSERT_TRUE(runUntil(loop, [&] { return !got.empty(); }));
    auto after = system_clock::now();
    const LoggedPacket& p = got.front();
    EXPECT_EQ(p.group, 5);
    EXPECT_EQ(p.prefix, "weft-drop: ");
    EXPECT_EQ(p.family, Family::V4);
    EXPECT_EQ(p.source.str(), "127.0.0.1");
    EXPECT_EQ(p.destination.str(), "127.0.0.1");
    EXPECT_EQ(p.protocol, IPPROTO_UDP);
    EXPECT_EQ(sport, 40101);
    EXPECT_EQ(p.sourcePort, 40101);
    EXPECT_EQ(p.destinationPort, 40001);
    EXPECT_EQ(p.outInterface, "lo");
    EXPECT_EQ(p.inInterface, "");
    EXPECT_EQ(p.mark, 0x2au);
    EXPECT_GE(p.time, before - std::chrono::seconds(1));
    EXPECT_LE(p.time, after + std::chrono::seconds(1));
    runFor(loop, 50);
    EXPECT_EQ(got.size(), 1u);
    EXPECT_EQ(r.dropped(), 0u);
}

TEST_F(NflogTest, Ipv6TcpSynOnTheInputHook) {
    rule("in",
         "ip6 daddr ::1 tcp dport 40002 tcp flags & (syn | ack) == syn log group 6 "
         "prefix \"in6: \"");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> got;
    r.subscribe(6, collect(got));
    uint16_t client = connectTcp("::1", 40002);
    ASSERT_TRUE(runUntil(loop, [&] { return !got.empty(); }));
    const LoggedPacket& p = got.front();
    EXPECT_EQ(p.prefix, "in6: ");
    EXPECT_EQ(p.family, Family::V6);
    EXPECT_EQ(p.source.str(), "::1");
    EXPECT_EQ(p.destination.str(), "::1");
    EXPECT_EQ(p.protocol, IPPROTO_TCP);
    EXPECT_EQ(p.sourcePort, client);
    EXPECT_EQ(p.destinationPort, 40002);
    EXPECT_EQ(p.inInterface, "lo");
    EXPECT_EQ(p.outInterface, "");
    runFor(loop, 50);
    EXPECT_EQ(got.size(), 1u);  // only the SYN
}

TEST_F(NflogTest, Ipv4TcpPorts) {
    rule("out", "ip daddr 127.0.0.1 tcp dport 40003 tcp flags & (syn | ack) == syn log group 7");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> got;
    r.subscribe(7, collect(got));
    uint16_t client = connectTcp("127.0.0.1", 40003);
    ASSERT_TRUE(runUntil(loop, [&] { return !got.empty(); }));
    EXPECT_EQ(got[0].family, Family::V4);
    EXPECT_EQ(got[0].protocol, IPPROTO_TCP);
    EXPECT_EQ(got[0].sourcePort, client);
    EXPECT_EQ(got[0].destinationPort, 40003);
    EXPECT_EQ(got[0].prefix, "");
}

TEST_F(NflogTest, IcmpEchoRequestsOfBothFamiliesHaveNoPorts) {
    rule("out", "icmp type echo-request log group 8 prefix \"ping4: \"");
    rule("out", "icmpv6 type echo-request log group 8 prefix \"ping6: \"");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> got;
    r.subscribe(8, collect(got));
    ASSERT_EQ(sh("ping -c1 -W2 127.0.0.1").status, 0);
    ASSERT_EQ(sh("ping -c1 -W2 ::1").status, 0);
    ASSERT_TRUE(runUntil(loop, [&] { return got.size() >= 2; }));
    runFor(loop, 50);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].prefix, "ping4: ");
    EXPECT_EQ(got[0].family, Family::V4);
    EXPECT_EQ(got[0].protocol, IPPROTO_ICMP);
    EXPECT_EQ(got[0].destination.str(), "127.0.0.1");
    EXPECT_FALSE(got[0].sourcePort);
    EXPECT_FALSE(got[0].destinationPort);
    EXPECT_EQ(got[1].prefix, "ping6: ");
    EXPECT_EQ(got[1].family, Family::V6);
    EXPECT_EQ(got[1].protocol, IPPROTO_ICMPV6);
    EXPECT_EQ(got[1].destination.str(), "::1");
    EXPECT_FALSE(got[1].sourcePort);
    EXPECT_FALSE(got[1].destinationPort);
}

TEST_F(NflogTest, Ipv6UdpBehindADestinationOptionsHeader) {
    // The rule only matches when the extension header is really there.
    rule("out", "exthdr dst exists udp dport 40004 log group 9");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> got;
    r.subscribe(9, collect(got));
    sendUdp("::1", 40004, 40104, true);
    ASSERT_TRUE(runUntil(loop, [&] { return !got.empty(); }));
    EXPECT_EQ(got[0].family, Family::V6);
    EXPECT_EQ(got[0].protocol, IPPROTO_UDP);
    EXPECT_EQ(got[0].sourcePort, 40104);
    EXPECT_EQ(got[0].destinationPort, 40004);
}

TEST_F(NflogTest, SctpPorts) {
    rule("out", "sctp dport 40005 log group 10");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> got;
    r.subscribe(10, collect(got));
    sendSctp(40105, 40005);
    ASSERT_TRUE(runUntil(loop, [&] { return !got.empty(); }));
    EXPECT_EQ(got[0].protocol, IPPROTO_SCTP);
    EXPECT_EQ(got[0].sourcePort, 40105);
    EXPECT_EQ(got[0].destinationPort, 40005);
}

// A link of the test's namespace: the packet leaves through it (a permanent neighbour entry
// spares the ARP wait) and its peer, in the same namespace, drops it.
TEST_F(NflogTest, OutputInterfaceNameOfAVeth) {
    struct Veth {
        Veth() { sh("ip link add nflogv0 type veth peer name nflogv1"); }
        ~Veth() { sh("ip link del nflogv0"); }
    } veth;
    ASSERT_EQ(sh("ip link set nflogv0 up && ip link set nflogv1 up && "
                 "ip addr add 10.99.0.1/24 dev nflogv0 && "
                 "ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev nflogv0 nud permanent")
                  .status,
              0);
    rule("out", "udp dport 40006 log group 11");
    NflogReceiver r(loop);
    std::vector<LoggedPacket> got;
    r.subscribe(11, collect(got));
    sendUdp("10.99.0.2", 40006);
    ASSERT_TRUE(runUntil(loop, [&] { return !got.empty(); }));
    EXPECT_EQ(got[0].outInterface, "nflogv0");
    EXPECT_EQ(got[0].source.str(), "10.99.0.1");
    EXPECT_EQ(got[0].destination.str(), "10.99.0.2");
}

}  // namespace
}  // namespace weft::test
