// EgressPlugin against a FakeHost: the Gateways property, the bus members and
// SetForwardedPort, Describe, and state.json across a restart or a reload.
#include "egress_plugin_fixture.hpp"

namespace weft::egress::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(PluginTest, GatewaysPropertyHasOneRowPerGateway) {
    start();
    EXPECT_EQ(host->busObject.properties.at("Gateways").first, "aa{ss}");
    round();
    host->flowCounts = {{0x10000, 7}, {0x30000, 3}, {0x990000, 100}};
    auto r = rows();
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].at("name"), "p1") << "in config order";
    EXPECT_EQ(r[2].at("name"), "p3");
    auto p1 = row("p1"), p2 = row("p2"), p3 = row("p3");
    EXPECT_EQ(p1.at("interface"), "tun1");
    EXPECT_EQ(p1.at("state"), "up");
    EXPECT_EQ(p1.at("weight"), "1");
    EXPECT_EQ(p3.at("weight"), "2");
    EXPECT_EQ(p1.at("mark"), "0x10000");
    EXPECT_EQ(p3.at("mark"), "0x30000");
    EXPECT_EQ(p1.at("table"), "1100");
    EXPECT_EQ(p3.at("table"), "1102");
    EXPECT_EQ(p1.at("buckets"), "64");
    EXPECT_EQ(p3.at("buckets"), "128");
    EXPECT_EQ(p1.at("flows"), "7");
    EXPECT_EQ(p2.at("flows"), "0");
    EXPECT_EQ(p3.at("flows"), "3");
    EXPECT_EQ(p1.at("rx"), "0") << "no counters for a tunnel weft does not own";
    EXPECT_EQ(p1.at("history"), "+");
    EXPECT_EQ(p1.at("lastError"), "");
    EXPECT_THAT(p1.at("lastChange"), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z"));
}

TEST_F(PluginTest, BusMembersAreRegisteredWithTheirSignatures) {
    start();
    auto& bus = host->busObject;
    ASSERT_TRUE(bus.signals.count("GatewayStateChanged"));
    auto& sig = bus.signals.at("GatewayStateChanged");
    ASSERT_EQ(sig.size(), 2u);
    EXPECT_EQ(sig[0].name, "name");
    EXPECT_EQ(sig[0].signature, "s");
    EXPECT_EQ(sig[1].name, "state");
    EXPECT_EQ(sig[1].signature, "s");
    ASSERT_TRUE(bus.methods.count("SetForwardedPort"));
    auto& m = bus.methods.at("SetForwardedPort");
    ASSERT_EQ(m.in.size(), 2u);
    EXPECT_EQ(m.in[0].name, "forward");
    EXPECT_EQ(m.in[0].signature, "s");
    EXPECT_EQ(m.in[1].name, "port");
    EXPECT_EQ(m.in[1].signature, "u");
    EXPECT_TRUE(m.out.empty());
    EXPECT_TRUE(m.changesState) << "only root may move a port forward";
}

TEST_F(PluginTest, SetForwardedPortRefusesBadArgumentsByName) {
    start();
    auto error = [&](const std::string& name, uint32_t port) {
        try {
            host->busObject.call("SetForwardedPort", {BusValue{name}, BusValue{port}});
        } catch (const BusError& e) {
            return e.name() + ": " + e.what();
        }
        return std::string("no error");
    };
    EXPECT_THAT(error("web", 0), HasSubstr("InvalidArgument: port: 0"));
    EXPECT_THAT(error("web", 65536), HasSubstr("InvalidArgument: port: 65536"));
    EXPECT_THAT(error("ssh", 4000), HasSubstr("NotFound: forward: no [PortForward ssh]"));
    // Issue 15 item 13: a 1 MB argument is not echoed back whole.
    // "é" straddles the 200-byte cut: it goes whole, never half (the reply must be UTF-8).
    std::string huge = std::string(199, 'a') + "\u00e9" + std::string(1 << 20, 'x');
    std::string e = error(huge, 4000);
    EXPECT_LT(e.size(), 300u);
    EXPECT_THAT(e, HasSubstr("[PortForward " + std::string(199, 'a') + "\u2026 (" +
                             std::to_string(huge.size()) + " bytes)]"));
    std::ifstream saved(dir / "run" / "state.json");
    ASSERT_TRUE(saved) << "start() writes state.json";
    EXPECT_EQ(Json::parse(saved).at("ports"), Json::object()) << "nothing kept from a refused call";
}

TEST_F(PluginTest, SetForwardedPortMovesTheDnatAndSurvivesARestart) {
    start();
    unsigned requests = host->reconcileRequests;
    host->busObject.call("SetForwardedPort", {BusValue{std::string("web")}, BusValue{51000u}});
    EXPECT_GT(host->reconcileRequests, requests);
    auto dnatPort = [&] {
        auto d = plugin->desiredState();
        for (auto& [rule, nat] : rulesWith<nft::Nat>(d.tables.at(0))) {
            if (rule->comment == "port forward web")
                return exprOf<nft::MatchPort>(*rule)->range->first;
        }
        return uint16_t(0);
    };
    EXPECT_EQ(dnatPort(), 51000);
    Json j = Json::parse(plugin->describe());
    EXPECT_EQ(j.at("portForwards").at(0).at("port"), 51000);
    start();
    EXPECT_EQ(dnatPort(), 51000) << "kept in /run/weft across a daemon restart";
}

TEST_F(PluginTest, DescribeHasTheDocumentedKeys) {
    start();
    round();
    Json j = Json::parse(plugin->describe());
    ASSERT_TRUE(j.is_object());
    ASSERT_TRUE(j.at("gateways").is_array());
    ASSERT_EQ(j.at("gateways").size(), 3u);
    for (auto& g : j.at("gateways")) {
        for (const char* k : {"name", "interface", "state", "weight", "mark", "table", "buckets",
                              "flows", "rx", "tx", "lastChange", "history", "lastError"})
            EXPECT_TRUE(g.contains(k)) << k;
    }
    EXPECT_EQ(j.at("gateways").at(2).at("name"), "p3");
    EXPECT_EQ(j.at("gateways").at(2).at("buckets"), "128");
    EXPECT_EQ(j.at("buckets"), 256);
    EXPECT_EQ(j.at("hashSeed"), "0x5eed");
    EXPECT_EQ(j.at("killSwitch"), true);
    EXPECT_EQ(j.at("mark"), Mark({0, 0x00ff0000}).str());
    auto& f = j.at("portForwards").at(0);
    EXPECT_EQ(f.at("name"), "web");
    EXPECT_EQ(f.at("gateway"), "p3");
    EXPECT_EQ(f.at("protocol"), "tcp");
    EXPECT_EQ(f.at("port"), 40123);
    EXPECT_EQ(f.at("to"), "10.77.0.10:8080");
    // Kept in a variable: gcc and clang disagree on how to discard parse()'s result.
    EXPECT_NO_THROW({
        Json j = Json::parse(EgressPlugin{}.describe());
        EXPECT_TRUE(j.is_object());
    }) << "valid before start too";
}

TEST_F(PluginTest, ARestartKeepsBucketOwnersAndStates) {
    start();
    round();
    round({"p2"});
    round({"p2"});
    auto before = bucketsNow();
    ASSERT_EQ(row("p2").at("state"), "down");
    EXPECT_TRUE(fs::exists(dir / "run" / "state.json"));

    start();  // a new instance on the same runtime directory, no check run yet
    EXPECT_EQ(bucketsNow(), before) << "bucket by bucket";
    EXPECT_EQ(row("p1").at("state"), "up");
    EXPECT_EQ(row("p2").at("state"), "down");
    EXPECT_EQ(row("p3").at("state"), "up");
    EXPECT_EQ(row("p1").at("buckets"), "85") << "256 by weights 1:2";
    EXPECT_EQ(row("p3").at("buckets"), "171");
    // Nothing moves at the first checks after the restart either.
    round({"p2"});
    EXPECT_EQ(bucketsNow(), before);
    EXPECT_THAT(stateSignals(), ::testing::IsEmpty());
}

TEST_F(PluginTest, AGarbledStateFileIsIgnored) {
    fs::create_directories(dir / "run");
    std::ofstream(dir / "run" / "state.json") << "{\"buckets\": [1, 2";
    start();
    EXPECT_TRUE(bucketsNow().empty());
    round();
    EXPECT_EQ(bucketsNow().size(), 256u);
}

TEST_F(PluginTest, AReloadKeepsHealthAndOwners) {
    start();
    round();
    auto before = bucketsNow();
    Config c = parse(kThree);
    plugin->validate(c);
    plugin->configure(c);
    EXPECT_EQ(bucketsNow(), before);
    EXPECT_EQ(row("p1").at("state"), "up");
}

}  // namespace
}  // namespace weft::egress::test
