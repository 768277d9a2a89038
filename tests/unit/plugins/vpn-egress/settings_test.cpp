// Settings: every key read, defaults, derived marks/tables/priorities, the lease, and each
// error at its file:line and key.
#include <gmock/gmock.h>

#include "egress_fixture.hpp"
#include "egress_plugin.hpp"
#include "egress_settings.hpp"

namespace weft::egress::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SettingsTest : public TempDirTest {
  protected:
    std::vector<std::string> errorsOf(const std::string& text) {
        return weft::test::validationErrors(EgressPlugin{}, parse(text));
    }
    // A managed gateway section (lines: header + 5).
    std::string managed(const std::string& name, const std::string& ifname) {
        return "[Gateway " + name + "]\nInterface=" + ifname +
               "\nPrivateKeyFile=" + keyFile(name + ".key") +
               "\nAddress=10.64.0.2/32\nPeerPublicKey=" + peer +
               "\nPeerEndpoint=198.51.100.1:51820\n";
    }
    std::string peer = *wg::publicKeyFor(wg::generatePrivateKey());
};

const char* kEgress = "[Egress]\nClients=10.77.0.0/24\n";  // lines 1-2

TEST_F(SettingsTest, ReadsEveryKey) {
    std::string text = std::string("[Egress]\nClients=10.77.0.0/24\nClients=fd77::/64\n") +
                       "Clients=@lan/phones\nClients=lan0\nExclude=10.0.0.0/8\nExclude=fd00::/8\n"
                       "KillSwitch=no\nBuckets=512\nHashSeed=0x1234\nDNS=10.64.0.53\n"
                       "Mark=0x00f00000/0x00f00000\nTable=2000\nPriority=7150\n" +
                       managed("p1", "wg-p1") +
                       "Address=fd64::2/128\nMTU=1380\nWeight=2\nInterval=500ms\nFailAfter=4\n"
                       "RecoverAfter=5\n"
                       "[Gateway ovpn]\nInterface=tun0\nHealthCheck=icmp:10.8.0.1\n"
                       "HealthCheck=tcp:[2001:db8::1]:443\nHealthCheck=dns:10.8.0.1\n"
                       "[PortForward web]\nGateway=p1\nProtocol=udp\nPort=40123\n"
                       "To=10.77.0.10:8080\n";
    ASSERT_EQ(errorsOf(text), std::vector<std::string>{});
    Settings s = readSettings(parse(text));
    EXPECT_EQ(s.clientPrefixes, (std::vector<Prefix>{P("10.77.0.0/24"), P("fd77::/64")}));
    EXPECT_EQ(s.clientSets, std::vector<std::string>{"lan/phones"});
    EXPECT_EQ(s.clientInterfaces, std::vector<std::string>{"lan0"});
    EXPECT_EQ(s.exclude, (std::vector<Prefix>{P("10.0.0.0/8"), P("fd00::/8")}));
    EXPECT_FALSE(s.killSwitch);
    EXPECT_EQ(s.buckets, 512u);
    EXPECT_EQ(s.seed, 0x1234u);
    EXPECT_EQ(s.dns, A("10.64.0.53"));
    EXPECT_EQ(s.mark, (Mark{0x00f00000, 0x00f00000}));
    ASSERT_EQ(s.gateways.size(), 2u);
    const Gateway& p1 = s.gateways[0];
    EXPECT_EQ(p1.name, "p1");
    EXPECT_EQ(p1.interface, "wg-p1");
    EXPECT_TRUE(p1.managed);
    EXPECT_EQ(p1.keyFile, dir / "p1.key");
    EXPECT_EQ(p1.addresses.size(), 2u);
    EXPECT_EQ(p1.peerPublicKey, peer);
    EXPECT_EQ(p1.peerEndpoint->str(), "198.51.100.1:51820");
    EXPECT_EQ(p1.mtu, 1380u);
    EXPECT_EQ(p1.weight, 2u);
    EXPECT_EQ(p1.interval, std::chrono::milliseconds(500));
    EXPECT_EQ(p1.failAfter, 4u);
    EXPECT_EQ(p1.recoverAfter, 5u);
    ASSERT_EQ(p1.checks.size(), 1u) << "a tunnel weft creates checks its handshake by default";
    EXPECT_EQ(p1.checks[0].kind, HealthCheck::Kind::Handshake);
    // Gateway i gets i shifted into the mask, table Table+i-1, priority Priority+i-1.
    EXPECT_EQ(p1.mark, 0x00100000u);
    EXPECT_EQ(p1.table, 2000u);
    EXPECT_EQ(p1.priority, 7150u);
    const Gateway& ovpn = s.gateways[1];
    EXPECT_FALSE(ovpn.managed);
    EXPECT_EQ(ovpn.mark, 0x00200000u);
    EXPECT_EQ(ovpn.table, 2001u);
    EXPECT_EQ(ovpn.priority, 7151u);
    ASSERT_EQ(ovpn.checks.size(), 3u);
    EXPECT_EQ(ovpn.checks[0].kind, HealthCheck::Kind::Icmp);
    EXPECT_EQ(ovpn.checks[0].address, A("10.8.0.1"));
    EXPECT_EQ(ovpn.checks[1].kind, HealthCheck::Kind::Tcp);
    EXPECT_EQ(ovpn.checks[1].address, A("2001:db8::1"));
    EXPECT_EQ(ovpn.checks[1].port, 443);
    EXPECT_EQ(ovpn.checks[1].text, "tcp:[2001:db8::1]:443");
    EXPECT_EQ(ovpn.checks[2].kind, HealthCheck::Kind::Dns);
    EXPECT_EQ(ovpn.checks[2].port, 53);
    ASSERT_EQ(s.forwards.size(), 1u);
    EXPECT_EQ(s.forwards[0].name, "web");
    EXPECT_EQ(s.forwards[0].gateway, "p1");
    EXPECT_EQ(s.forwards[0].protocol, 17);
    EXPECT_EQ(s.forwards[0].port, 40123);
    EXPECT_EQ(s.forwards[0].to.str(), "10.77.0.10:8080");
    EXPECT_EQ(readPrivateKey(p1.keyFile), keys.at("p1.key"));
}

TEST_F(SettingsTest, DefaultsMatchTheDocumentation) {
    std::string text =
        std::string(kEgress) + "[Gateway a]\nInterface=tun0\n" + "[Gateway b]\nInterface=tun1\n";
    Settings s = readSettings(parse(text));
    EXPECT_TRUE(s.killSwitch);
    EXPECT_EQ(s.buckets, 256u);
    EXPECT_EQ(s.seed, 0x5eedu);
    EXPECT_FALSE(s.dns);
    EXPECT_EQ(s.mark, (Mark{0x00ff0000, 0x00ff0000}));
    EXPECT_EQ(s.table, 1100u);
    EXPECT_EQ(s.priority, 7100u);
    auto& a = s.gateways.at(0);
    EXPECT_EQ(a.mark, 0x00010000u);
    EXPECT_EQ(s.gateways.at(1).mark, 0x00020000u);
    EXPECT_EQ(s.gateways.at(1).table, 1101u);
    EXPECT_EQ(s.gateways.at(1).priority, 7101u);
    EXPECT_EQ(a.mtu, 1420u);
    EXPECT_EQ(a.weight, 1u);
    EXPECT_EQ(a.interval, std::chrono::seconds(1));
    EXPECT_EQ(a.failAfter, 3u);
    EXPECT_EQ(a.recoverAfter, 3u);
    EXPECT_FALSE(a.managed);
    EXPECT_TRUE(a.checks.empty()) << "an existing tunnel has no handshake to check";
}

TEST_F(SettingsTest, ClientsThatAreNeitherPrefixSetNorInterface) {
    std::string gw = "[Gateway a]\nInterface=tun0\n";
    EXPECT_THAT(errorsOf("[Egress]\nClients=10.77.0.0/24\nClients=10.0.0.0/33\n" + gw),
                ElementsAre(HasSubstr("vpn-egress.conf:3: [Egress] Clients: \"10.0.0.0/33\"")));
    EXPECT_THAT(errorsOf("[Egress]\nClients=@nothing\n" + gw),
                ElementsAre(HasSubstr("vpn-egress.conf:2: [Egress] Clients: \"@nothing\"")));
    EXPECT_THAT(errorsOf("[Egress]\nClients=a:b\n" + gw),
                ElementsAre(HasSubstr("vpn-egress.conf:2: [Egress] Clients: \"a:b\"")));
}

TEST_F(SettingsTest, HealthChecksThatDoNotParse) {
    std::string base = std::string(kEgress) + "[Gateway a]\nInterface=tun0\n";  // lines 3-4
    for (const char* bad : {"ping:10.0.0.1", "icmp:nowhere", "tcp:10.0.0.1", "tcp:10.0.0.1:0",
                            "dns:", "handshake:1"}) {
        EXPECT_THAT(
            errorsOf(base + "HealthCheck=" + bad + "\n"),
            ElementsAre("vpn-egress.conf:5: [Gateway a] HealthCheck: \"" + std::string(bad) +
                        "\": expected handshake, icmp:ADDR, tcp:ADDR:PORT or dns:ADDR"))
            << bad;
    }
}

// Issue 15 item 10: a huge Interval= wrapped the timer's clock.
TEST_F(SettingsTest, IntervalIsRangeChecked) {
    std::string base = std::string(kEgress) + "[Gateway a]\nInterface=tun0\n";  // lines 3-4
    for (const char* bad : {"50ms", "2h", "20000w"}) {
        EXPECT_THAT(errorsOf(base + "Interval=" + bad + "\n"),
                    ElementsAre("vpn-egress.conf:5: [Gateway a] Interval: must be between 100ms "
                                "and 1h"))
            << bad;
    }
    EXPECT_TRUE(errorsOf(base + "Interval=1h\n").empty());
}

TEST_F(SettingsTest, HandshakeOnlyForATunnelWeftCreates) {
    EXPECT_THAT(
        errorsOf(std::string(kEgress) + "[Gateway a]\nInterface=tun0\nHealthCheck=handshake\n"),
        ElementsAre("vpn-egress.conf:5: [Gateway a] HealthCheck: handshake: only for a "
                    "WireGuard tunnel weft creates"));
    EXPECT_TRUE(
        errorsOf(std::string(kEgress) + managed("a", "wg-a") + "HealthCheck=handshake\n").empty());
}

TEST_F(SettingsTest, PrivateKeyFileReadableByOthersIsRefused) {
    std::string text = std::string(kEgress) + "[Gateway a]\nInterface=wg-a\nPrivateKeyFile=" +
                       keyFile("open.key", fs::perms::owner_read | fs::perms::owner_write |
                                               fs::perms::group_read | fs::perms::others_read) +
                       "\nAddress=10.64.0.2/32\nPeerPublicKey=" + peer +
                       "\nPeerEndpoint=198.51.100.1:51820\n";
    auto errors = errorsOf(text);
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_THAT(errors[0],
                HasSubstr("vpn-egress.conf:5: [Gateway a] PrivateKeyFile: " +
                          (dir / "open.key").string() + ": readable by group or others"));
    fs::permissions(dir / "open.key", fs::perms::owner_read);
    EXPECT_TRUE(errorsOf(text).empty()) << "0400 is fine";
    fs::permissions(dir / "open.key", fs::perms::owner_read | fs::perms::group_read);
    EXPECT_EQ(errorsOf(text).size(), 1u) << "0440 is not";
}

TEST_F(SettingsTest, PrivateKeyFileMustExistAndHoldAKey) {
    std::string head = std::string(kEgress) + "[Gateway a]\nInterface=wg-a\nPrivateKeyFile=";
    std::string tail =
        "\nAddress=10.64.0.2/32\nPeerPublicKey=" + peer + "\nPeerEndpoint=198.51.100.1:51820\n";
    EXPECT_THAT(errorsOf(head + (dir / "missing.key").string() + tail),
                ElementsAre(HasSubstr("vpn-egress.conf:5: [Gateway a] PrivateKeyFile: ")));
    auto junk = dir / "junk.key";
    std::ofstream(junk) << "not a key\n";
    fs::permissions(junk, fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_THAT(errorsOf(head + junk.string() + tail),
                ElementsAre(HasSubstr("not a base64 WireGuard key")));
}

TEST_F(SettingsTest, ATunnelWeftCreatesNeedsItsPeer) {
    std::string text = std::string(kEgress) +
                       "[Gateway a]\nInterface=wg-a\nPrivateKeyFile=" + keyFile("a.key") +
                       "\nAddress=10.64.0.2/32\n";
    EXPECT_THAT(errorsOf(text),
                ElementsAre("vpn-egress.conf:5: [Gateway a] PrivateKeyFile: a tunnel weft "
                            "creates needs PeerPublicKey= too",
                            "vpn-egress.conf:5: [Gateway a] PrivateKeyFile: a tunnel weft "
                            "creates needs PeerEndpoint= too"));
}

TEST_F(SettingsTest, PeerKeysOnlyForATunnelWeftCreates) {
    EXPECT_THAT(errorsOf(std::string(kEgress) +
                         "[Gateway a]\nInterface=tun0\nPeerPublicKey=" + peer + "\n"),
                ElementsAre("vpn-egress.conf:5: [Gateway a] PeerPublicKey: only for a tunnel weft "
                            "creates (PrivateKeyFile=)"));
}

TEST_F(SettingsTest, TooManyGatewaysForTheMarkMask) {
    // Two mask bits: values 1..3, so a fourth gateway has no mark.
    std::string text =
        "[Egress]\nClients=10.77.0.0/24\nMark=0x30000/0x30000\n"
        "[Gateway a]\nInterface=t0\n[Gateway b]\nInterface=t1\n"
        "[Gateway c]\nInterface=t2\n[Gateway d]\nInterface=t3\n";
    EXPECT_THAT(errorsOf(text), ElementsAre("vpn-egress.conf:11: [Gateway d] Interface: too many "
                                            "gateways for the mark mask of [Egress] Mark="));
    text.resize(text.find("[Gateway d]"));
    auto s = readSettings(parse(text));
    EXPECT_EQ(s.gateways.at(2).mark, 0x30000u);
}

TEST_F(SettingsTest, TooManyGatewaysForThePriorityRange) {
    std::string text =
        "[Egress]\nClients=10.77.0.0/24\nPriority=7198\n"
        "[Gateway a]\nInterface=t0\n[Gateway b]\nInterface=t1\n"
        "[Gateway c]\nInterface=t2\n";
    EXPECT_THAT(errorsOf(text),
                ElementsAre(HasSubstr("vpn-egress.conf:9: [Gateway c] Interface: too many "
                                      "gateways for the priority range")));
}

TEST_F(SettingsTest, APortForwardNamesAKnownGateway) {
    std::string text = std::string(kEgress) + "[Gateway a]\nInterface=tun0\n" +
                       "[PortForward web]\nGateway=b\nProtocol=tcp\nPort=40000\nTo=10.77.0.10:80\n";
    EXPECT_THAT(errorsOf(text),
                ElementsAre("vpn-egress.conf:6: [PortForward web] Gateway: no [Gateway b]"));
}

TEST_F(SettingsTest, TwoGatewaysCannotShareAnInterface) {
    EXPECT_THAT(errorsOf(std::string(kEgress) +
                         "[Gateway a]\nInterface=tun0\n[Gateway b]\nInterface=tun0\n"),
                ElementsAre(HasSubstr("vpn-egress.conf:6: [Gateway b] Interface: tun0")));
}

TEST_F(SettingsTest, EveryErrorIsReportedAtOnce) {
    std::string text =
        "[Egress]\nClients=10.77.0.0/24\nClients=10.0.0.0/33\n"
        "[Gateway a]\nInterface=tun0\nHealthCheck=handshake\nHealthCheck=ping\n"
        "[PortForward web]\nGateway=zz\nProtocol=tcp\nPort=40000\n"
        "To=10.77.0.10:80\n";
    EXPECT_EQ(errorsOf(text).size(), 4u) << ::testing::PrintToString(errorsOf(text));
}

TEST_F(SettingsTest, SchemaRangesComeFromTheConfigLayer) {
    std::string base = std::string(kEgress) + "[Gateway a]\nInterface=tun0\n";
    EXPECT_THROW(parse(base + "Weight=0\n"), ConfigException);
    EXPECT_THROW(parse(base + "Weight=1001\n"), ConfigException);
    EXPECT_THROW(parse("[Egress]\nClients=10.77.0.0/24\nBuckets=4097\n[Gateway a]\nInterface=t\n"),
                 ConfigException);
    EXPECT_THROW(parse("[Egress]\nClients=10.77.0.0/24\nPriority=7200\n[Gateway a]\nInterface=t\n"),
                 ConfigException);
    EXPECT_THROW(parse("[Gateway a]\nInterface=t\n"), ConfigException) << "Clients= is required";
}

TEST_F(SettingsTest, LeaseIsTheTableTablesPrioritiesMarkBitsAndManagedLinks) {
    std::string text = std::string(kEgress) + managed("p1", "wg-p1") +
                       "[Gateway ovpn]\nInterface=tun0\n" + managed("p3", "wg-p3");
    Lease l = EgressPlugin{}.lease(parse(text));
    EXPECT_EQ(l.nftTables, std::vector<std::string>{"weft_vpn_egress"});
    EXPECT_EQ(l.routingTables, (std::vector<std::pair<uint32_t, uint32_t>>{{1100, 1102}}));
    EXPECT_EQ(l.rulePriorities, (std::vector<std::pair<uint32_t, uint32_t>>{{7100, 7199}}));
    EXPECT_EQ(l.markBits, 0x00ff0000u);
    EXPECT_EQ(l.links, (std::vector<std::string>{"wg-p1", "wg-p3"})) << "not the OpenVPN tun";
    EXPECT_THAT(l.sysctls, ::testing::Contains("net.ipv4.ip_forward"));
}

}  // namespace
}  // namespace weft::egress::test
