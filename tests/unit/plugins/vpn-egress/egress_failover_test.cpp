// EgressPlugin against a FakeHost: timers and probes per gateway, failover (signal, bucket
// map, reconcile, flows flushed after the new map), recovery, missing or down tunnels and the
// handshake check of weft's own tunnels.
#include "egress_plugin_fixture.hpp"

namespace weft::egress::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(PluginTest, InfoNamesTheBusInterface) {
    auto info = EgressPlugin{}.info();
    EXPECT_EQ(info.name, "vpn-egress");
    EXPECT_EQ(info.busInterface, "org.weft.Weft1.VpnEgress");
}

TEST_F(PluginTest, StartAddsOneTimerPerGatewayWithItsInterval) {
    start();
    std::multiset<std::chrono::milliseconds> intervals;
    for (auto& [id, t] : host->timers)
        intervals.insert(t.first);
    EXPECT_EQ(intervals.count(1500ms), 1u);
    EXPECT_EQ(intervals.count(1000ms), 1u);
    EXPECT_EQ(intervals.count(2000ms), 1u);
    EXPECT_TRUE(host->probes.empty()) << "the first check comes after one interval";
    plugin->stop();
    EXPECT_TRUE(host->timers.empty()) << "stop() cancels every timer";
    plugin.reset();
}

TEST_F(PluginTest, ProbesGoThroughTheirGatewayWithItsMark) {
    start();
    host->fireTimers();
    ASSERT_EQ(host->probes.size(), 4u);
    std::set<std::tuple<uint32_t, ProbeRequest::Kind, std::string, uint16_t>> seen;
    for (auto& [id, p] : host->probes) {
        auto& r = p.first;
        ASSERT_TRUE(r.fwmark);
        seen.emplace(*r.fwmark, r.kind, r.target.str(), r.port);
        EXPECT_GT(r.timeout, 0ms);
        EXPECT_LE(r.timeout, 2000ms);
        // Rounds never overlap: a probe ends within its gateway's interval.
        const std::map<uint32_t, std::chrono::milliseconds> interval{
            {0x10000, 1500ms}, {0x20000, 1000ms}, {0x30000, 2000ms}};
        EXPECT_LT(r.timeout, interval.at(*r.fwmark));
    }
    using S = std::tuple<uint32_t, ProbeRequest::Kind, std::string, uint16_t>;
    EXPECT_EQ(seen, (std::set<S>{S{0x10000, ProbeRequest::Kind::IcmpEcho, "10.64.1.1", 0},
                                 S{0x20000, ProbeRequest::Kind::IcmpEcho, "10.64.2.1", 0},
                                 S{0x30000, ProbeRequest::Kind::TcpConnect, "10.64.3.1", 443},
                                 S{0x30000, ProbeRequest::Kind::Dns, "10.64.3.53", 53}}));
    // A round still out is not doubled by the next timer.
    host->fireTimers();
    EXPECT_EQ(host->probes.size(), 4u);
}

TEST_F(PluginTest, BeforeAnyCheckNothingIsUpAndTheMapIsEmpty) {
    start();
    EXPECT_TRUE(bucketsNow().empty()) << "new flows meet the kill switch until a gateway is up";
    for (auto& r : rows())
        EXPECT_EQ(r.at("state"), "unknown") << r.at("name");
}

TEST_F(PluginTest, TheFirstPassedRoundBringsGatewaysUpSpreadByWeight) {
    start();
    unsigned before = host->reconcileRequests;
    round();
    EXPECT_THAT(stateSignals(), ::testing::UnorderedElementsAre("p1=up", "p2=up", "p3=up"));
    EXPECT_GT(host->reconcileRequests, before);
    auto m = bucketsNow();
    EXPECT_EQ(m.size(), 256u);
    EXPECT_EQ(perMark(m), (std::map<uint32_t, int>{{0x10000, 64}, {0x20000, 64}, {0x30000, 128}}));
    EXPECT_THAT(host->busObject.changed, ::testing::Contains("Gateways"));
}

TEST_F(PluginTest, OneFailingCheckOfARoundFailsTheRound) {
    start();
    round();
    host->busObject.emitted.clear();
    host->fireTimers();
    // p3's tcp check passes, its dns check times out.
    std::vector<Host::ProbeId> ids;
    for (auto& [id, p] : host->probes)
        ids.push_back(id);
    for (auto id : ids) {
        auto req = host->probes.at(id).first;
        ProbeResult r;
        r.status = req.kind == ProbeRequest::Kind::Dns ? ProbeResult::Status::Timeout
                                                       : ProbeResult::Status::Ok;
        host->finishProbe(id, r);
    }
    EXPECT_EQ(row("p3").at("history"), "+-");
    EXPECT_EQ(row("p3").at("lastError"), "dns:10.64.3.53: timeout");
    EXPECT_EQ(row("p1").at("history"), "++");
}

TEST_F(PluginTest, FailoverMovesTheDeadGatewaysBucketsAndThenFlushesItsFlows) {
    start();
    round();
    auto before = bucketsNow();
    host->busObject.emitted.clear();
    unsigned requests = host->reconcileRequests;

    round({"p3"});
    EXPECT_THAT(stateSignals(), ::testing::IsEmpty()) << "FailAfter=2: one failure is not down";
    EXPECT_EQ(bucketsNow(), before);
    round({"p3"});
    EXPECT_THAT(stateSignals(), ElementsAre("p3=down"));
    EXPECT_GT(host->reconcileRequests, requests);
    EXPECT_EQ(row("p3").at("state"), "down");
    EXPECT_EQ(row("p3").at("lastError"), "tcp:10.64.3.1:443: timeout");
    EXPECT_EQ(row("p3").at("history"), "+--");

    // The flows go only after the core has taken the new map (the next desiredState()).
    round({"p3"});
    EXPECT_THAT(host->deletedFlows, ::testing::IsEmpty());
    auto after = bucketsNow();
    EXPECT_EQ(after.size(), 256u);
    EXPECT_EQ(perMark(after), (std::map<uint32_t, int>{{0x10000, 128}, {0x20000, 128}}));
    for (auto& [b, mark] : before) {
        if (mark != 0x30000) {
            EXPECT_EQ(after.at(b), mark) << "bucket " << b << " of a healthy gateway moved";
        }
    }
    round({"p3"});
    ASSERT_FALSE(host->deletedFlows.empty());
    FlowFilter expected;
    expected.ctMark = Mark{0x30000, 0x00ff0000};
    for (auto& f : host->deletedFlows)
        EXPECT_EQ(f, expected) << "only the dead gateway's flows, by ct mark under the mask";
    EXPECT_EQ(row("p3").at("buckets"), "0");
    EXPECT_EQ(row("p1").at("buckets"), "128");
}

TEST_F(PluginTest, RecoveryTakesBackItsShareFromTheOthersOnly) {
    start();
    round();
    round({"p3"});
    round({"p3"});
    auto down = bucketsNow();
    host->busObject.emitted.clear();
    round();
    EXPECT_THAT(stateSignals(), ::testing::IsEmpty()) << "RecoverAfter=2";
    EXPECT_EQ(bucketsNow(), down);
    round();
    EXPECT_THAT(stateSignals(), ElementsAre("p3=up"));
    auto up = bucketsNow();
    EXPECT_EQ(perMark(up), (std::map<uint32_t, int>{{0x10000, 64}, {0x20000, 64}, {0x30000, 128}}));
    int moved = 0;
    for (auto& [b, mark] : up) {
        if (down.at(b) != mark) {
            ++moved;
            EXPECT_EQ(mark, 0x30000u) << "bucket " << b << " moved between p1 and p2";
        }
    }
    EXPECT_EQ(moved, 128) << "the fewest moves: p3's share";
    size_t flushed = host->deletedFlows.size();
    round();
    round();
    for (size_t i = flushed; i < host->deletedFlows.size(); ++i)
        ADD_FAILURE() << "flows deleted after recovery: " << host->deletedFlows[i].ctMark->str();
}

TEST_F(PluginTest, AllDownLeavesTheMapEmptyAndNoTunnelHealthy) {
    start();
    round();
    round({"p1", "p2", "p3"});
    round({"p1", "p2", "p3"});
    auto d = plugin->desiredState();
    EXPECT_TRUE(bucketMap(d).empty());
    EXPECT_TRUE(namesOf(setOf(d.tables.at(0), "healthy")).empty());
    EXPECT_EQ(namesOf(setOf(d.tables.at(0), "tunnels")).size(), 3u);
}

TEST_F(PluginTest, AMissingOrDownTunnelFailsWithoutAProbe) {
    links = {link(11, "tun1"), link(12, "tun2", false)};
    start();
    host->fireTimers();
    ASSERT_EQ(host->probes.size(), 1u);
    EXPECT_EQ(host->probes.begin()->second.first.fwmark, 0x10000u) << "only p1's tunnel is up";
    answer({});
    EXPECT_EQ(row("p1").at("state"), "up");
    EXPECT_EQ(row("p2").at("history"), "-");
    EXPECT_EQ(row("p2").at("lastError"), "interface tun2 down");
    EXPECT_EQ(row("p3").at("lastError"), "interface tun3 missing");
    round();
    EXPECT_THAT(stateSignals(), ::testing::UnorderedElementsAre("p1=up", "p2=down", "p3=down"));
    host->setLinks({link(11, "tun1"), link(12, "tun2"), link(13, "tun3")});
    round();
    EXPECT_EQ(row("p2").at("state"), "down") << "a down gateway needs RecoverAfter=2";
    round();
    EXPECT_EQ(row("p2").at("state"), "up");
    EXPECT_EQ(row("p3").at("state"), "up");
}

TEST_F(PluginTest, AManagedTunnelIsCheckedByItsHandshakeAndReportsItsTraffic) {
    links = {link(21, "wg-p1")};
    std::string peer = *wg::publicKeyFor(wg::generatePrivateKey());
    std::string text =
        "[Egress]\nClients=10.77.0.0/24\n[Gateway p1]\nInterface=wg-p1\n"
        "PrivateKeyFile=" +
        keyFile("p1.key") + "\nAddress=10.64.0.2/32\nPeerPublicKey=" + peer +
        "\nPeerEndpoint=198.51.100.1:51820\n";
    start(text);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    host->wgStatus["wg-p1"] = {WireguardPeerStatus{peer, std::nullopt, now - 5, 1000, 2000}};
    host->fireTimers();
    EXPECT_TRUE(host->probes.empty()) << "the handshake is read, not probed";
    EXPECT_EQ(row("p1").at("state"), "up");
    EXPECT_EQ(row("p1").at("rx"), "1000");
    EXPECT_EQ(row("p1").at("tx"), "2000");
    EXPECT_EQ(row("p1").at("buckets"), "256");
    auto d = plugin->desiredState();
    ASSERT_EQ(d.wireguard.size(), 1u);
    EXPECT_EQ(d.wireguard[0].privateKey, keys.at("p1.key"));
    // A handshake older than 180 s fails the check.
    host->wgStatus["wg-p1"][0].lastHandshake = now - 200;
    for (int i = 0; i < 3; ++i)
        host->fireTimers();
    EXPECT_EQ(row("p1").at("state"), "down");
    EXPECT_EQ(row("p1").at("lastError"), "no handshake within 180 s");
    EXPECT_EQ(plugin->describe().find(keys.at("p1.key")), std::string::npos)
        << "no secret in Describe";
}

// The kernel refuses a route through a down device ("Network is down"): a tunnel that is down
// (an OpenVPN tun whose daemon stopped) gets its route when it comes up, and the plugin stays
// running meanwhile.
TEST_F(PluginTest, ADownTunnelGetsNoRouteUntilItIsUp) {
    links = {link(11, "tun1"), link(12, "tun2", false), link(13, "tun3")};
    start();
    for (auto& r : plugin->desiredState().routes)
        EXPECT_NE(r.dev, "tun2") << "table " << r.table << " " << r.dst.str();
}

}  // namespace
}  // namespace weft::egress::test
