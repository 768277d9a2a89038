// fwmark-routing: schema, validation (every error with file:line) and lease.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "fake_host.hpp"
#include "routing_plugin.hpp"

using namespace weft;

namespace {

Config parse(const std::string& text) {
    steer::RoutingPlugin p;
    return config::parseText(text, "fwmark-routing.conf", p.schema());
}

// The messages of every error validate() reports.
std::vector<std::string> errorsOf(const std::string& text) {
    return test::validationErrors(steer::RoutingPlugin{}, parse(text));
}

// The messages of the config layer's own errors (schema types, required keys, ranges).
std::string parseError(const std::string& text) {
    try {
        parse(text);
    } catch (const ConfigException& e) {
        return e.what();
    }
    return "";
}

const char* kMesh = "[Route mesh]\nInterface=weft0\nDestinations=10.244.0.0/16\n";

}  // namespace

TEST(FwmarkRoutingConfig, DefaultsFollowKubeSpan) {
    steer::RoutingPlugin p;
    auto c = parse(kMesh);
    EXPECT_EQ(errorsOf(kMesh), std::vector<std::string>{});
    auto* s = c.named("Route").at(0);
    EXPECT_EQ(s->integer("Table"), 180);
    EXPECT_EQ(*s->mark("Mark"), (Mark{0x51821, 0x51821}));
    EXPECT_EQ(s->integer("Priority"), 5100);
    EXPECT_EQ(s->str("Family"), "both");
    auto settings = steer::readRoutingSettings(c);
    EXPECT_EQ(settings.policies.at(0).skipMark, (Mark{0x51820, 0x51820}))
        << "WireGuard's own packets (the mesh's default FirewallMark) are never steered";
}

TEST(FwmarkRoutingConfig, SkipMarkNeedsAValue) {
    EXPECT_EQ(errorsOf(std::string(kMesh) + "SkipMark=0x0/0x60\n"),
              std::vector<std::string>{"fwmark-routing.conf:4: [Route mesh] SkipMark: the value "
                                       "must not be 0: WireGuard's own packets would not be told "
                                       "apart (use the mesh's FirewallMark)"});
    EXPECT_EQ(errorsOf(std::string(kMesh) + "SkipMark=0\n").size(), 1u);
}

TEST(FwmarkRoutingConfig, SchemaErrorsCarryFileAndLine) {
    EXPECT_NE(parseError("[Route a]\nDestinations=10.0.0.0/8\n")
                  .find("fwmark-routing.conf:1: [Route a] Interface: required key is missing"),
              std::string::npos);
    std::string prio = parseError(std::string(kMesh) + "Priority=5300\n");
    EXPECT_NE(prio.find("fwmark-routing.conf:4: [Route mesh] Priority:"), std::string::npos)
        << prio;
    EXPECT_NE(prio.find("[5100, 5199]"), std::string::npos) << "names the range: " << prio;
    std::string fam = parseError(std::string(kMesh) + "Family=ipv5\n");
    EXPECT_NE(fam.find("fwmark-routing.conf:4: [Route mesh] Family:"), std::string::npos) << fam;
    std::string mark = parseError(std::string(kMesh) + "Mark=0x3/0x1\n");
    EXPECT_NE(mark.find("fwmark-routing.conf:4: [Route mesh] Mark:"), std::string::npos) << mark;
}

TEST(FwmarkRoutingConfig, PoliciesMayNotShareTablesPrioritiesOrMarkBits) {
    auto errors = errorsOf(
        "[Route a]\nInterface=x\nDestinations=10.0.0.0/8\n"
        "[Route b]\nInterface=y\nDestinations=10.1.0.0/16\n");
    ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
    // b takes every default of a; its errors sit at its section (the defaults' location).
    EXPECT_EQ(errors[0],
              "fwmark-routing.conf:4: [Route b] Table: table 180 is also used by [Route a]");
    EXPECT_EQ(errors[1],
              "fwmark-routing.conf:4: [Route b] FallbackTable: table 181 is also used "
              "by [Route a]");
    EXPECT_EQ(errors[2],
              "fwmark-routing.conf:4: [Route b] Priority: priority 5100 is also used by [Route a]");
    EXPECT_EQ(errors[3],
              "fwmark-routing.conf:4: [Route b] Mark: mark bits of 0x51821/0x51821 are also "
              "written by [Route a]");
    // c's Mark=0x1/0x1 shares bit 0 with 0x51821.
    auto overlap = errorsOf(
        "[Route a]\nInterface=x\nDestinations=10.0.0.0/8\n"
        "[Route c]\nInterface=z\nDestinations=10.2.0.0/16\nTable=182\nFallbackTable=183\n"
        "Priority=5101\nMark=0x1/0x1\n");
    ASSERT_EQ(overlap.size(), 1u);
    EXPECT_EQ(overlap[0],
              "fwmark-routing.conf:10: [Route c] Mark: mark bits of 0x1/0x1 are also written by "
              "[Route a]");
    EXPECT_TRUE(errorsOf("[Route a]\nInterface=x\nDestinations=10.0.0.0/8\n"
                         "[Route c]\nInterface=z\nDestinations=10.2.0.0/16\nTable=182\n"
                         "FallbackTable=183\nPriority=5101\nMark=0x2/0x2\n")
                    .empty())
        << "disjoint bits, tables and priorities are fine";
}

TEST(FwmarkRoutingConfig, PolicyChecks) {
    std::string base = kMesh;
    EXPECT_EQ(errorsOf(base + "Table=254\n"),
              std::vector<std::string>{"fwmark-routing.conf:4: [Route mesh] Table: tables 253-255 "
                                       "are the kernel's (default, main, local)"});
    EXPECT_EQ(errorsOf(base + "Mark=0x51821/0x51821\nSkipMark=0x51821/0x51821\n"),
              std::vector<std::string>{"fwmark-routing.conf:5: [Route mesh] SkipMark: equals "
                                       "Mark: nothing would ever be steered"});
    EXPECT_EQ(errorsOf(base + "Mark=0x0/0x60\n").size(), 1u) << "a zero mark matches everything";
    EXPECT_EQ(errorsOf(base + "Interface=averylonginterfacename\n").size(), 1u);
    EXPECT_EQ(errorsOf(base + "Family=ipv4\nDestinations=fd00::/64\n"),
              std::vector<std::string>{"fwmark-routing.conf:5: [Route mesh] Destinations: IPv6 "
                                       "prefix fd00::/64 in a policy with Family=ipv4"});
    EXPECT_EQ(errorsOf(base + "Family=ipv6\nSources=10.244.1.0/24\n").size(), 2u)
        << "both the IPv4 destination and the IPv4 source";
    EXPECT_TRUE(errorsOf(base + "Family=ipv4\nDestinations=@wireguard-mesh/targets\n").empty())
        << "named sets may hold both families; the other family is ignored";
}

TEST(FwmarkRoutingConfig, LeaseCoversTablesMarksPrioritiesAndSysctls) {
    steer::RoutingPlugin p;
    auto l = p.lease(
        parse("[Route a]\nInterface=x\nDestinations=10.0.0.0/8\nMark=0x20/0x20\n"
              "[Route b]\nInterface=y\nDestinations=fd00::/8\nTable=4000000000\nPriority=5199\n"
              "FallbackTable=4000000001\nMark=0x40/0x40\nFamily=ipv6\n"));
    EXPECT_EQ(l.nftTables, std::vector<std::string>{"weft_fwmark_routing"});
    EXPECT_EQ(l.routingTables,
              (std::vector<std::pair<uint32_t, uint32_t>>{
                  {180, 180}, {181, 181}, {4000000000u, 4000000000u}, {4000000001u, 4000000001u}}));
    EXPECT_EQ(l.rulePriorities,
              (std::vector<std::pair<uint32_t, uint32_t>>{{5100, 5199}, {32800, 32899}}))
        << "the steering rules before main, the fallback rules after it";
    EXPECT_EQ(l.markBits, 0x60u);
    EXPECT_EQ(l.sysctls, std::vector<std::string>{"net.ipv4.conf.all.src_valid_mark"});
    EXPECT_TRUE(l.links.empty());
    auto loose = p.lease(parse(std::string("[Routing]\nLooseReversePath=yes\n") + kMesh));
    EXPECT_EQ(loose.sysctls, (std::vector<std::string>{"net.ipv4.conf.all.src_valid_mark",
                                                       "net.ipv4.conf.all.rp_filter"}));
    auto v6 = p.lease(parse("[Route a]\nInterface=x\nDestinations=fd00::/8\nFamily=ipv6\n"));
    EXPECT_TRUE(v6.sysctls.empty()) << "IPv4 sysctls only when IPv4 is steered";
}

// Issue 15 item 9: the fallback table is a table of the policy like Table=.
TEST(FwmarkRoutingConfig, FallbackTableIsCheckedLikeTable) {
    std::string base = kMesh;
    steer::RoutingPlugin p;
    auto settings = steer::readRoutingSettings(parse(base));
    EXPECT_TRUE(settings.policies.at(0).fallback) << "on by default";
    EXPECT_EQ(settings.policies.at(0).fallbackTable, 181u);
    EXPECT_EQ(errorsOf(base + "FallbackTable=180\n"),
              std::vector<std::string>{"fwmark-routing.conf:4: [Route mesh] FallbackTable: equals "
                                       "Table: the fallback table may hold only the destinations, "
                                       "never a default route"});
    EXPECT_EQ(errorsOf(base + "FallbackTable=253\n"),
              std::vector<std::string>{"fwmark-routing.conf:4: [Route mesh] FallbackTable: tables "
                                       "253-255 are the kernel's (default, main, local)"});
    EXPECT_NE(parseError(base + "FallbackTable=0\n").find("[Route mesh] FallbackTable:"),
              std::string::npos);
    // Another policy's Table= on this one's fallback table.
    EXPECT_EQ(
        errorsOf(base + "[Route c]\nInterface=z\nDestinations=10.2.0.0/16\nTable=181\n"
                        "FallbackTable=182\nPriority=5101\nMark=0x2/0x2\n"),
        std::vector<std::string>{
            "fwmark-routing.conf:7: [Route c] Table: table 181 is also used by [Route mesh]"});
    // Fallback=no: the table is not used, so it neither clashes nor is leased.
    EXPECT_TRUE(errorsOf(base + "Fallback=no\nFallbackTable=180\n").empty());
    auto off = p.lease(parse(base + "Fallback=no\n"));
    EXPECT_EQ(off.routingTables, (std::vector<std::pair<uint32_t, uint32_t>>{{180, 180}}));
    EXPECT_EQ(off.rulePriorities.size(), 2u) << "the lease does not change with Fallback=";
    // A source-scoped policy never routes host traffic into the tunnel: no fallback.
    auto scoped = p.lease(parse(base + "Sources=10.244.1.0/24\n"));
    EXPECT_EQ(scoped.routingTables, (std::vector<std::pair<uint32_t, uint32_t>>{{180, 180}}));
}
