#include <gtest/gtest.h>

#include "lease_check.hpp"

using namespace weft;

namespace {

Lease meshLease() {
    Lease l;
    l.nftTables = {"weft_wireguard_mesh"};
    l.links = {"weft0"};
    return l;
}

Lease routingLease() {
    Lease l;
    l.nftTables = {"weft_fwmark_routing"};
    l.routingTables = {{180, 180}};
    l.rulePriorities = {{5100, 5199}};
    l.markBits = 0x51821;
    return l;
}

bool mentions(const std::vector<std::string>& v, const std::string& s) {
    for (auto& x : v) {
        if (x.find(s) != std::string::npos)
            return true;
    }
    return false;
}

TEST(LeaseConflicts, DisjointLeasesDoNotConflict) {
    EXPECT_TRUE(leaseConflicts("a", meshLease(), "b", routingLease()).empty());
}

TEST(LeaseConflicts, EveryOverlapIsNamed) {
    Lease other = routingLease();
    other.rulePriorities = {{5150, 5250}};
    other.routingTables = {{170, 190}};
    other.markBits = 0x1;
    auto c = leaseConflicts("fwmark-routing", routingLease(), "other", other);
    EXPECT_TRUE(mentions(c, "nftables table weft_fwmark_routing"));
    EXPECT_TRUE(mentions(c, "routing table 180"));
    EXPECT_TRUE(mentions(c, "rule priority 5150"));
    EXPECT_TRUE(mentions(c, "fwmark bits 0x1"));
    EXPECT_TRUE(mentions(c, "plugins fwmark-routing and other"));
}

// A plugin may lease several priority ranges (rules before and after main): each range of
// one is checked against each range of the other.
TEST(LeaseConflicts, EveryPriorityRangeIsChecked) {
    Lease a = routingLease();
    a.rulePriorities = {{5100, 5199}, {32800, 32899}};
    Lease b = meshLease();
    b.nftTables = {"weft_b"};
    b.links = {};
    b.rulePriorities = {{7100, 7199}};
    EXPECT_TRUE(leaseConflicts("a", a, "b", b).empty()) << "7100-7199 lies between a's ranges";
    b.rulePriorities = {{7100, 7199}, {32899, 32999}};
    auto c = leaseConflicts("a", a, "b", b);
    ASSERT_EQ(c.size(), 1u) << ::testing::PrintToString(c);
    EXPECT_TRUE(mentions(c, "rule priority 32899"));
}

TEST(LeaseViolations, RulesMayUseEveryLeasedPriorityRange) {
    Lease l = routingLease();
    l.rulePriorities = {{5100, 5199}, {32800, 32899}};
    DesiredState d;
    RoutingRule r;
    r.fwmark = Mark{0x1, 0x1};
    r.table = 180;
    for (uint32_t prio : {5100u, 5199u, 32800u, 32899u}) {
        r.priority = prio;
        d.rules.push_back(r);
    }
    EXPECT_TRUE(leaseViolations(l, d).empty());
    r.priority = 32766;
    d.rules.push_back(r);
    EXPECT_EQ(leaseViolations(l, d),
              std::vector<std::string>{"ip rule priority 32766 is outside the lease"});
}

// Issue 15 item 13: a clash was reported at "weftd.conf:0".
TEST(LeaseConflicts, AsConfigErrorsTheyNameTheLine) {
    Lease other = routingLease();
    auto errors = leaseConflictErrors("fwmark-routing", routingLease(), "copy", other,
                                      Location{"/etc/weft/weftd.conf", 3});
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(errors.size(),
              leaseConflicts("fwmark-routing", routingLease(), "copy", other).size());
    EXPECT_EQ(errors[0].str().rfind("/etc/weft/weftd.conf:3: [Daemon] Plugins: plugins "
                                    "fwmark-routing and copy both lease",
                                    0),
              0u)
        << errors[0].str();
    EXPECT_TRUE(leaseConflictErrors("a", meshLease(), "b", routingLease(), {}).empty());
}

TEST(LeaseConflicts, ReadingAnothersMarkIsNotWritingIt) {
    Lease a = routingLease();
    Lease b = meshLease();  // matches 0x51820 but writes no bits
    EXPECT_TRUE(leaseConflicts("a", a, "b", b).empty());
}

TEST(LeaseViolations, EveryObjectOutsideTheLeaseIsReported) {
    DesiredState d;
    d.tables.push_back(nft::Table{nft::TableFamily::Inet, "weft_other", {}, {}});
    Route r;
    r.table = 200;
    r.dst = *Prefix::parse("0.0.0.0/0");
    d.routes.push_back(r);
    RoutingRule rule;
    rule.priority = 10;
    d.rules.push_back(rule);
    d.wireguard.push_back(WireguardLink{.name = "wg9"});
    d.sysctls.push_back({"net.ipv4.ip_forward", "1"});
    nft::Chain c{"out", {}, {nft::Rule{}.setMark(Mark{0x80000000, 0x80000000})}};
    d.tables.push_back(nft::Table{nft::TableFamily::Inet, "weft_fwmark_routing", {}, {c}});
    auto v = leaseViolations(routingLease(), d);
    EXPECT_TRUE(mentions(v, "nftables table weft_other"));
    EXPECT_TRUE(mentions(v, "routing table 200"));
    EXPECT_TRUE(mentions(v, "priority 10"));
    EXPECT_TRUE(mentions(v, "link wg9"));
    EXPECT_TRUE(mentions(v, "sysctl net.ipv4.ip_forward"));
    EXPECT_TRUE(mentions(v, "fwmark bits 0x80000000"));
    EXPECT_EQ(v.size(), 6u);
}

TEST(LeaseViolations, AStateInsideTheLeaseIsClean) {
    DesiredState d;
    nft::Chain c{"out", {}, {nft::Rule{}.setMark(Mark{0x51821, 0x51821})}};
    d.tables.push_back(nft::Table{nft::TableFamily::Inet, "weft_fwmark_routing", {}, {c}});
    Route r;
    r.table = 180;
    r.dst = *Prefix::parse("::/0");
    d.routes.push_back(r);
    RoutingRule rule;
    rule.priority = 5100;
    d.rules.push_back(rule);
    EXPECT_TRUE(leaseViolations(routingLease(), d).empty());
    EXPECT_EQ(markBitsWritten(d), 0x51821u);
}

}  // namespace
