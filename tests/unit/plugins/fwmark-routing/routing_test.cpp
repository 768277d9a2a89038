// fwmark-routing: config -> desired state, with a FakeHost publishing the mesh's targets.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "fake_host.hpp"
#include "routing_plugin.hpp"

using namespace weft;

namespace {

DesiredState stateFor(const std::string& text, test::FakeHost& host, steer::RoutingPlugin& p) {
    auto c = config::parseText(text, "fwmark-routing.conf", p.schema());
    p.validate(c);
    p.configure(c);
    p.start(host);
    return p.desiredState();
}

const nft::Set& set(const DesiredState& d, const std::string& name) {
    for (auto& s : d.tables.at(0).sets) {
        if (s.name == name)
            return s;
    }
    throw std::runtime_error("no set " + name);
}

}  // namespace

TEST(FwmarkRouting, SteersANamedSetWithOneRulePerFamily) {
    test::FakeHost host("fwmark-routing", "/tmp/weft-unit-fr");
    host.sets["wireguard-mesh/targets"] =
        PrefixSet{*Prefix::parse("10.244.2.0/24"), *Prefix::parse("fd00::/64")};
    steer::RoutingPlugin p;
    auto d = stateFor(
        "[Route "
        "mesh]\nInterface=weft0\nSkipMark=0x51820/0x51820\nDestinations=@wireguard-mesh/targets\n",
        host, p);
    ASSERT_EQ(d.rules.size(), 2u);
    EXPECT_EQ(d.rules[0].fwmark, (Mark{0x51821, 0x51821}));
    EXPECT_EQ(d.rules[0].table, 180u);
    EXPECT_EQ(d.rules[0].priority, 5100u);
    ASSERT_EQ(d.routes.size(), 2u);
    EXPECT_EQ(d.routes[0].dev, "weft0");
    EXPECT_EQ(set(d, "mesh_dst4").elements.size(), 1u);
    EXPECT_EQ(set(d, "mesh_dst6").elements.size(), 1u);
    auto& out = d.tables[0].chains[1];
    EXPECT_EQ(out.base->type, nft::ChainType::Route);
    EXPECT_EQ(d.sysctls.at(0).key, "net.ipv4.conf.all.src_valid_mark");
}

TEST(FwmarkRouting, GrowingTheSetChangesOnlyElements) {
    test::FakeHost host("fwmark-routing", "/tmp/weft-unit-fr");
    host.sets["wireguard-mesh/targets"] = PrefixSet{*Prefix::parse("10.244.2.0/24")};
    steer::RoutingPlugin p;
    auto text = "[Route mesh]\nInterface=weft0\nDestinations=@wireguard-mesh/targets\n";
    auto before = stateFor(text, host, p);
    host.sets["wireguard-mesh/targets"].add(*Prefix::parse("10.244.5.0/24"));
    auto after = p.desiredState();
    EXPECT_EQ(before.tables[0].chains, after.tables[0].chains);
    EXPECT_EQ(before.rules, after.rules);
    EXPECT_EQ(set(after, "mesh_dst4").elements.size(), 2u);
}

TEST(FwmarkRouting, SourcesKeepHostTrafficOutOfTheTunnel) {
    test::FakeHost host("fwmark-routing", "/tmp/weft-unit-fr");
    steer::RoutingPlugin p;
    auto d = stateFor(
        "[Route "
        "pods]\nInterface=weft0\nDestinations=10.244.0.0/16\nSources=10.244.1.0/24\nFamily=ipv4\n",
        host, p);
    auto& pre = d.tables[0].chains[0];
    auto& out = d.tables[0].chains[1];
    EXPECT_EQ(pre.rules.size(), 1u);
    EXPECT_TRUE(out.rules.empty()) << "locally originated traffic uses main";
    EXPECT_EQ(set(d, "pods_src4").elements.size(), 1u);
    EXPECT_EQ(d.rules.size(), 1u) << "Family=ipv4";
}

TEST(FwmarkRouting, ClashingPoliciesAreRefusedWithLocations) {
    steer::RoutingPlugin p;
    try {
        auto c = config::parseText(
            "[Route a]\nInterface=x\nDestinations=10.0.0.0/8\n"
            "[Route b]\nInterface=y\nDestinations=10.0.0.0/8\nPriority=5300\n",
            "fwmark-routing.conf", p.schema());
        p.validate(c);
        FAIL() << "expected errors";
    } catch (const ConfigException& e) {
        std::string s = e.what();
        EXPECT_NE(
            s.find(
                "fwmark-routing.conf:7: [Route b] Priority: value 5300 out of range [5100, 5199]"),
            std::string::npos)
            << s;
    }
}
