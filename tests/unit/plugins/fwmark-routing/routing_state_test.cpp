// fwmark-routing: config -> exact desired state, with a FakeHost publishing named sets.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "fake_host.hpp"
#include "routing_plugin.hpp"
#include "weft/json.hpp"

using namespace weft;

namespace {

Prefix P(const char* text) {
    return *Prefix::parse(text);
}

struct FwmarkRouting : ::testing::Test {
    test::FakeHost host{"fwmark-routing", std::filesystem::temp_directory_path() / "weft-unit-fr"};
    steer::RoutingPlugin plugin;

    DesiredState configure(const std::string& text) {
        auto c = config::parseText(text, "fwmark-routing.conf", plugin.schema());
        plugin.validate(c);
        plugin.configure(c);
        plugin.start(host);
        return plugin.desiredState();
    }
};

const nft::Set* findSet(const DesiredState& d, const std::string& name) {
    for (auto& s : d.tables.at(0).sets) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

nft::ElementSet elements(std::initializer_list<const char*> prefixes) {
    nft::ElementSet out;
    for (auto* p : prefixes)
        out.push_back({P(p), {}});
    return out;
}

nft::Rule steerRule(const char* comment, Family f, std::optional<Mark> skip, bool scoped,
                    const std::string& name) {
    nft::Rule r;
    r.family(f);
    if (skip)
        r.add(nft::MatchMark{*skip, true});
    std::string sfx = f == Family::V4 ? "4" : "6";
    if (scoped)
        r.add(nft::MatchAddr{nft::Dir::Src, f, {}, name + "_src" + sfx, false});
    r.add(nft::MatchAddr{nft::Dir::Dst, f, {}, name + "_dst" + sfx, false});
    r.add(nft::SetMark{Mark{0x51821, 0x51821}}).add(nft::Counter{});
    return r.withComment(comment);
}

// SkipMark='s default: the mesh's default FirewallMark under its own bits.
const Mark kWg{0x51820, 0x51820};

nft::Rule neighborDiscovery() {
    nft::Rule r;
    r.add(nft::MatchFamily{Family::V6}).add(nft::MatchL4Proto{58});
    r.add(nft::MatchPort{nft::Dir::Src, PortRange{0x8500, 0x8900}, {}, false});
    r.add(nft::Counter{}).add(nft::VerdictStmt{nft::Verdict::Accept, {}});
    return r.withComment("never steer neighbor discovery");
}

const char* kMesh =
    "[Route mesh]\nInterface=weft0\nSkipMark=0x51820/0x51820\n"
    "Destinations=@wireguard-mesh/targets\nDestinations=10.50.0.0/16\n";

}  // namespace

TEST_F(FwmarkRouting, KubeSpanPolicyExactState) {
    host.sets["wireguard-mesh/targets"] =
        PrefixSet{P("10.244.2.0/24"), P("10.244.3.0/24"), P("fd00:244:2::/64")};
    auto d = configure(kMesh);

    ASSERT_EQ(d.tables.size(), 1u);
    const nft::Table& t = d.tables[0];
    EXPECT_EQ(t.family, nft::TableFamily::Inet);
    EXPECT_EQ(t.name, "weft_fwmark_routing");
    nft::Set dst4{"mesh_dst4", nft::DataType::Ipv4Addr,
                  {},          true,
                  {},          elements({"10.50.0.0/16", "10.244.2.0/23"})};
    nft::Set dst6{"mesh_dst6", nft::DataType::Ipv6Addr,      {}, true,
                  {},          elements({"fd00:244:2::/64"})};
    EXPECT_EQ(t.sets, (std::vector<nft::Set>{dst4, dst6}));

    Mark skip{0x51820, 0x51820};
    std::vector<nft::Rule> rules{neighborDiscovery(),
                                 steerRule("mesh: steer ipv4", Family::V4, skip, false, "mesh"),
                                 steerRule("mesh: steer ipv6", Family::V6, skip, false, "mesh")};
    nft::Chain pre{"prerouting",
                   nft::BaseChain{nft::ChainType::Filter, nft::Hook::Prerouting, -150}, rules};
    nft::Chain out{"output", nft::BaseChain{nft::ChainType::Route, nft::Hook::Output, -150}, rules};
    EXPECT_EQ(t.chains, (std::vector<nft::Chain>{pre, out}));

    RoutingRule r4{Family::V4, 5100, Mark{0x51821, 0x51821}};
    r4.table = 180;
    RoutingRule r6 = r4;
    r6.family = Family::V6;
    // The fallback after main: everything but WireGuard's own packets, into table 181.
    RoutingRule f4{Family::V4, 32800, skip};
    f4.invert = true;
    f4.table = 181;
    RoutingRule f6 = f4;
    f6.family = Family::V6;
    EXPECT_EQ(d.rules, (std::vector<RoutingRule>{r4, f4, r6, f6}));

    Route d4{180, RouteType::Unicast, P("0.0.0.0/0"), "weft0"};
    d4.scopeLink = true;
    Route d6 = d4;
    d6.dst = P("::/0");
    auto fallback = [](const char* prefix) {
        Route r{181, RouteType::Unicast, P(prefix), "weft0"};
        r.scopeLink = true;
        return r;
    };
    EXPECT_EQ(d.routes, (std::vector<Route>{d4, fallback("10.50.0.0/16"), fallback("10.244.2.0/23"),
                                            d6, fallback("fd00:244:2::/64")}))
        << "one fallback route per destination prefix, as merged in the sets";
    EXPECT_EQ(d.sysctls, (std::vector<Sysctl>{{"net.ipv4.conf.all.src_valid_mark", "1"}}));
    EXPECT_TRUE(d.wireguard.empty());
    EXPECT_EQ(plugin.desiredState(), d) << "idempotent";
}

TEST_F(FwmarkRouting, NamedSetChangesOnlyElements) {
    host.sets["wireguard-mesh/targets"] = PrefixSet{P("10.244.2.0/24")};
    auto before = configure(kMesh);
    host.sets["wireguard-mesh/targets"] =
        PrefixSet{P("10.244.5.0/24"), P("10.244.7.0/24"), P("fd00:244:5::/64")};
    auto after = plugin.desiredState();
    EXPECT_EQ(before.tables[0].chains, after.tables[0].chains) << "rules stay constant";
    EXPECT_EQ(before.rules, after.rules);
    EXPECT_EQ(before.sysctls, after.sysctls);
    auto inTable = [](const DesiredState& d, uint32_t table) {
        std::vector<Prefix> out;
        for (auto& r : d.routes) {
            if (r.table == table)
                out.push_back(r.dst);
        }
        return out;
    };
    EXPECT_EQ(inTable(before, 180), inTable(after, 180)) << "the default routes stay";
    EXPECT_EQ(inTable(after, 181), (std::vector<Prefix>{P("10.50.0.0/16"), P("10.244.5.0/24"),
                                                        P("10.244.7.0/24"), P("fd00:244:5::/64")}))
        << "the fallback routes follow the destinations";
    EXPECT_EQ(findSet(before, "mesh_dst4")->elements, elements({"10.50.0.0/16", "10.244.2.0/24"}));
    EXPECT_EQ(findSet(after, "mesh_dst4")->elements,
              elements({"10.50.0.0/16", "10.244.5.0/24", "10.244.7.0/24"}));
    EXPECT_TRUE(findSet(before, "mesh_dst6")->elements.empty());
    EXPECT_EQ(findSet(after, "mesh_dst6")->elements, elements({"fd00:244:5::/64"}));
}

TEST_F(FwmarkRouting, UnpublishedSetIsEmptyAndLoggedOnce) {
    auto d = configure(kMesh);
    EXPECT_EQ(findSet(d, "mesh_dst4")->elements, elements({"10.50.0.0/16"}));
    EXPECT_TRUE(findSet(d, "mesh_dst6")->elements.empty()) << "the set exists, empty";
    plugin.desiredState();
    ASSERT_EQ(host.logs.size(), 1u);
    EXPECT_NE(host.logs[0].find("@wireguard-mesh/targets"), std::string::npos);
    host.sets["wireguard-mesh/targets"] = PrefixSet{P("10.244.2.0/24")};
    EXPECT_EQ(findSet(plugin.desiredState(), "mesh_dst4")->elements.size(), 2u);
    host.sets.erase("wireguard-mesh/targets");
    plugin.desiredState();
    plugin.desiredState();
    EXPECT_EQ(host.logs.size(), 2u) << "logged again once after it vanished";
}

TEST_F(FwmarkRouting, SourcesKeepHostTrafficOutOfTheTunnel) {
    auto d = configure(
        "[Route pods]\nInterface=weft0\nDestinations=10.244.0.0/16 fd00:244::/48\n"
        "Sources=10.244.1.0/24\nSources=fd00:244:1::/64\n");
    const nft::Table& t = d.tables[0];
    std::vector<std::string> names;
    for (auto& s : t.sets)
        names.push_back(s.name);
    EXPECT_EQ(names,
              (std::vector<std::string>{"pods_dst4", "pods_src4", "pods_dst6", "pods_src6"}));
    EXPECT_EQ(findSet(d, "pods_src4")->elements, elements({"10.244.1.0/24"}));
    EXPECT_EQ(findSet(d, "pods_src6")->elements, elements({"fd00:244:1::/64"}));
    EXPECT_EQ(t.chains[0].rules,
              (std::vector<nft::Rule>{
                  neighborDiscovery(), steerRule("pods: steer ipv4", Family::V4, kWg, true, "pods"),
                  steerRule("pods: steer ipv6", Family::V6, kWg, true, "pods")}));
    EXPECT_EQ(t.chains[1].name, "output");
    EXPECT_TRUE(t.chains[1].rules.empty()) << "locally originated traffic goes through main";
    EXPECT_EQ(d.rules.size(), 2u) << "the ip rules stay the same, no fallback rule";
    for (auto& r : d.routes)
        EXPECT_EQ(r.table, 180u) << "no fallback routes: host traffic stays out of the tunnel";
}

TEST_F(FwmarkRouting, FamilyIpv4Only) {
    auto d = configure(
        "[Route mesh]\nInterface=weft0\nFamily=ipv4\nDestinations=@wireguard-mesh/targets\n");
    host.sets["wireguard-mesh/targets"] = PrefixSet{P("10.244.2.0/24"), P("fd00::/64")};
    d = plugin.desiredState();
    ASSERT_EQ(d.tables[0].sets.size(), 1u);
    EXPECT_EQ(d.tables[0].sets[0].name, "mesh_dst4");
    EXPECT_EQ(d.tables[0].sets[0].elements, elements({"10.244.2.0/24"}));
    EXPECT_EQ(d.tables[0].chains[0].rules,
              std::vector<nft::Rule>{steerRule("mesh: steer ipv4", Family::V4, kWg, false, "mesh")})
        << "no IPv6 rule, no neighbor-discovery guard";
    EXPECT_EQ(d.tables[0].chains[1].rules, d.tables[0].chains[0].rules);
    ASSERT_EQ(d.rules.size(), 2u);
    EXPECT_EQ(d.rules[0].family, Family::V4);
    EXPECT_EQ(d.rules[1].family, Family::V4);
    ASSERT_EQ(d.routes.size(), 2u);
    EXPECT_EQ(d.routes[0].dst, P("0.0.0.0/0"));
    EXPECT_EQ(d.routes[1].dst, P("10.244.2.0/24")) << "no fallback route for fd00::/64";
}

TEST_F(FwmarkRouting, Ipv6OnlySetsNoIpv4Sysctl) {
    auto d = configure("[Route v6]\nInterface=wg1\nFamily=ipv6\nDestinations=2001:db8::/32\n");
    EXPECT_TRUE(d.sysctls.empty());
    ASSERT_EQ(d.rules.size(), 2u);
    EXPECT_EQ(d.rules[0].family, Family::V6);
    EXPECT_EQ(d.rules[1].family, Family::V6);
    EXPECT_EQ(d.routes.at(0).dst, P("::/0"));
    EXPECT_EQ(d.routes.at(0).dev, "wg1");
    EXPECT_EQ(d.tables[0].chains[0].rules.front(), neighborDiscovery());
}

TEST_F(FwmarkRouting, PoliciesAreIndependent) {
    auto d = configure(
        "[Routing]\nLooseReversePath=yes\n"
        "[Route a]\nInterface=wg-a\nFamily=ipv4\nSkipMark=0x51820/0x51820\n"
        "Destinations=10.1.0.0/16\n"
        "[Route b]\nInterface=wg-b\nFamily=ipv4\nTable=182\nFallbackTable=183\nPriority=5101\n"
        "Mark=0x2/0x2\nSkipMark=0x40/0x40\nDestinations=10.2.0.0/16\n");
    auto& pre = d.tables[0].chains[0].rules;
    ASSERT_EQ(pre.size(), 2u);
    EXPECT_EQ(pre[0], steerRule("a: steer ipv4", Family::V4, Mark{0x51820, 0x51820}, false, "a"));
    // b: its own SkipMark (a's does not end the chain for b), its own mark, no verdict.
    nft::Rule b;
    b.family(Family::V4).mark(Mark{0x40, 0x40}, true).daddrIn(Family::V4, "b_dst4");
    b.setMark(Mark{0x2, 0x2}).counter();
    EXPECT_EQ(pre[1], b.withComment("b: steer ipv4"));
    ASSERT_EQ(d.rules.size(), 4u);  // a: mark, fallback; b: mark, fallback
    EXPECT_EQ(d.rules[2].fwmark, (Mark{0x2, 0x2}));
    EXPECT_EQ(d.rules[2].table, 182u);
    EXPECT_EQ(d.rules[2].priority, 5101u);
    EXPECT_EQ(d.rules[3].fwmark, (Mark{0x40, 0x40})) << "b's fallback skips b's SkipMark";
    EXPECT_TRUE(d.rules[3].invert);
    EXPECT_EQ(d.rules[3].table, 183u);
    EXPECT_EQ(d.rules[3].priority, 32801u) << "32800 + (Priority - 5100)";
    ASSERT_EQ(d.routes.size(), 4u);
    EXPECT_EQ(d.routes[2].dev, "wg-b");
    EXPECT_EQ(d.routes[3].dev, "wg-b");
    EXPECT_EQ(d.routes[3].dst, P("10.2.0.0/16"));
    EXPECT_EQ(d.routes[3].table, 183u);
    EXPECT_EQ(d.sysctls, (std::vector<Sysctl>{{"net.ipv4.conf.all.src_valid_mark", "1"},
                                              {"net.ipv4.conf.all.rp_filter", "2"}}));
}

// Issue 15 item 8: WireGuard writes its FirewallMark as the whole word and another manager may
// add bits; without SkipMark=, or with it written bare, its packets were steered into the
// tunnel they carry (a loop). The rule must skip them under the mark's own bits.
TEST_F(FwmarkRouting, WireguardPacketsAreSkippedUnderTheMarksOwnBits) {
    for (const char* skip : {"", "SkipMark=\n", "SkipMark=0x51820\n"}) {
        auto d = configure(std::string("[Route m]\nInterface=weft0\nFamily=ipv4\n") + skip +
                           "Destinations=10.1.0.0/16\n");
        EXPECT_EQ(d.tables.at(0).chains.at(1).rules.at(0),
                  steerRule("m: steer ipv4", Family::V4, Mark{0x51820, 0x51820}, false, "m"))
            << "with '" << skip << "'";
    }
    auto d = configure(
        "[Route m]\nInterface=weft0\nFamily=ipv4\nSkipMark=0x20/0xff\n"
        "Destinations=10.1.0.0/16\n");
    EXPECT_EQ(d.tables.at(0).chains.at(1).rules.at(0),
              steerRule("m: steer ipv4", Family::V4, Mark{0x20, 0xff}, false, "m"))
        << "value/mask is used as written";
}

TEST_F(FwmarkRouting, NoPoliciesNoState) {
    EXPECT_EQ(configure(""), DesiredState{});
}

TEST_F(FwmarkRouting, DescribeShowsPoliciesSetsAndRules) {
    host.sets["wireguard-mesh/targets"] = PrefixSet{P("10.244.2.0/24"), P("fd00::/64")};
    configure(std::string(kMesh) + "Sources=10.244.1.0/24\n");
    Json j = Json::parse(plugin.describe());
    const Json& p = j.at("policies").at(0);
    EXPECT_EQ(p.at("name"), "mesh");
    EXPECT_EQ(p.at("interface"), "weft0");
    EXPECT_EQ(p.at("table"), 180);
    EXPECT_TRUE(p.at("fallbackTable").is_null()) << "a source-scoped policy has no fallback";
    EXPECT_EQ(p.at("mark"), "0x51821/0x51821");
    EXPECT_EQ(p.at("skipMark"), "0x51820/0x51820");
    EXPECT_EQ(p.at("priority"), 5100);
    EXPECT_EQ(p.at("family"), "both");
    EXPECT_EQ(p.at("destinations"), Json::array({"@wireguard-mesh/targets", "10.50.0.0/16"}));
    EXPECT_EQ(p.at("sources"), Json::array({"10.244.1.0/24"}));
    EXPECT_EQ(p.at("destinations4"), 2);
    EXPECT_EQ(p.at("destinations6"), 1);
    EXPECT_EQ(p.at("sources4"), 1);
    EXPECT_EQ(p.at("sources6"), 0);
    EXPECT_FALSE(p.at("steersHostTraffic").get<bool>());
    EXPECT_EQ(p.at("rules"), Json::array({"ip rule 5100: fwmark 0x51821/0x51821 lookup 180",
                                          "ip -6 rule 5100: fwmark 0x51821/0x51821 lookup 180"}));
    EXPECT_EQ(p.at("routes"), Json::array({"ip route table 180: default dev weft0 scope link",
                                           "ip -6 route table 180: default dev weft0 scope link"}));
    EXPECT_FALSE(j.at("looseReversePath").get<bool>());
    // weft::Json keeps the order the plugin wrote: weftctl --json and scripts see it so.
    std::vector<std::string> keys;
    for (auto& item : p.items())
        keys.push_back(item.key());
    EXPECT_EQ(keys,
              (std::vector<std::string>{"name", "interface", "table", "fallbackTable", "mark",
                                        "skipMark", "priority", "family", "destinations", "sources",
                                        "destinations4", "destinations6", "sources4", "sources6",
                                        "steersHostTraffic", "rules", "routes"}));
}

// Issue 15 item 9: a host whose main table does not route the mesh (no default route, an
// IPv6-only underlay) could not send to it: a local packet needs a route before the output
// hook can mark it. The fallback routes it after main; WireGuard's own packets never match.
TEST_F(FwmarkRouting, FallbackRoutesTheDestinationsAfterMain) {
    auto d = configure(
        "[Route m]\nInterface=wg-m\nFamily=ipv6\nPriority=5150\nFallbackTable=4000000000\n"
        "SkipMark=0x20/0xff\nDestinations=fd00:1::/64 fd00:2::/64\n");
    RoutingRule f{Family::V6, 32850, Mark{0x20, 0xff}};
    f.invert = true;
    f.table = 4000000000u;
    ASSERT_EQ(d.rules.size(), 2u);
    EXPECT_EQ(d.rules[1], f) << "SkipMark as written, after main and default";
    std::vector<Route> routes(d.routes.begin() + 1, d.routes.end());
    ASSERT_EQ(routes.size(), 2u);
    for (auto& r : routes) {
        EXPECT_EQ(r.table, 4000000000u);
        EXPECT_EQ(r.dev, "wg-m");
        EXPECT_TRUE(r.scopeLink);
        EXPECT_NE(r.dst.length, 0) << "never a default route in the fallback table";
    }
    EXPECT_EQ(routes[0].dst, P("fd00:1::/64"));
    EXPECT_EQ(routes[1].dst, P("fd00:2::/64"));

    auto off = configure(
        "[Route m]\nInterface=wg-m\nFamily=ipv6\nFallback=no\nDestinations=fd00:1::/64\n");
    EXPECT_EQ(off.rules.size(), 1u) << "Fallback=no: the steering rule only";
    EXPECT_EQ(off.routes.size(), 1u) << "Fallback=no: the default route only";
}

TEST_F(FwmarkRouting, DescribeShowsTheFallback) {
    host.sets["wireguard-mesh/targets"] = PrefixSet{P("10.244.2.0/24"), P("fd00::/64")};
    configure(kMesh);
    const Json p = Json::parse(plugin.describe()).at("policies").at(0);
    EXPECT_EQ(p.at("fallbackTable"), 181);
    EXPECT_EQ(p.at("rules"), Json::array({"ip rule 5100: fwmark 0x51821/0x51821 lookup 180",
                                          "ip -6 rule 5100: fwmark 0x51821/0x51821 lookup 180",
                                          "ip rule 32800: not fwmark 0x51820/0x51820 lookup 181",
                                          "ip -6 rule 32800: not fwmark 0x51820/0x51820 lookup "
                                          "181"}));
    EXPECT_EQ(p.at("routes"),
              Json::array({"ip route table 180: default dev weft0 scope link",
                           "ip -6 route table 180: default dev weft0 scope link",
                           "ip route table 181: 2 destination prefixes dev weft0 scope link",
                           "ip -6 route table 181: 1 destination prefix dev weft0 scope link"}));
}
