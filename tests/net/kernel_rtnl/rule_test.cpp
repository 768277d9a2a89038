// ip rules: every field, priority ranges, foreign rules, add-before-delete, both families.
#include <linux/rtnetlink.h>

#include "kernel/rtnl/route_engine.hpp"
#include "rtnl_testlib.hpp"

namespace weft::test {
namespace {

using kernel::RouteEngine;

RoutingRule rule(uint32_t prio, uint32_t table, Family f = Family::V4) {
    RoutingRule r;
    r.family = f;
    r.priority = prio;
    r.table = table;
    return r;
}

// The `ip rule show` lines of one priority.
std::vector<std::string> lines(const std::string& fam, uint32_t prio) {
    std::vector<std::string> out;
    std::string text = ip(fam + " rule show"), key = std::to_string(prio) + ":";
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        std::string line = text.substr(pos, end == std::string::npos ? end : end - pos);
        if (line.rfind(key, 0) == 0)
            out.push_back(line);
        pos = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
}

class RuleTest : public NetnsTest {};

TEST_F(RuleTest, EveryFieldIsWrittenAndReadBack) {
    RouteEngine e(kProto);
    RoutingRule r = rule(100, 180);
    r.invert = true;
    r.from = P("10.0.0.0/8");
    r.to = P("192.0.2.0/24");
    r.fwmark = Mark{0x20, 0x60};
    r.iif = "d0";
    r.oif = "d1";
    r.ipproto = 6;
    r.sport = PortRange{1000, 2000};
    r.dport = PortRange{443, 443};
    auto res = e.applyRules({r}, {100, 199});
    ASSERT_TRUE(res.ok()) << res.errors[0];
    EXPECT_EQ(res.changes, 1u);
    auto got = lines("-4", 100);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0],
              "100:\tnot from 10.0.0.0/8 to 192.0.2.0/24 fwmark 0x20/0x60 iif d0 oif d1 "
              "ipproto tcp sport 1000-2000 dport 443 lookup 180 proto 149");
    res = e.applyRules({r}, {100, 199});
    EXPECT_TRUE(res.ok());
    EXPECT_EQ(res.changes, 0u);
}

TEST_F(RuleTest, ActionsAndMarksWithoutMask) {
    RouteEngine e(kProto);
    RoutingRule bh = rule(110, 0), un = rule(111, 0), pr = rule(112, 0), full = rule(113, 181);
    bh.action = RuleAction::Blackhole;
    bh.from = P("198.51.100.0/24");
    un.action = RuleAction::Unreachable;
    pr.action = RuleAction::Prohibit;
    full.fwmark = Mark{0x51820, 0xffffffff};
    std::vector<RoutingRule> want{bh, un, pr, full};
    auto res = e.applyRules(want, {100, 199});
    ASSERT_TRUE(res.ok()) << res.errors[0];
    EXPECT_EQ(res.changes, 4u);
    EXPECT_EQ(e.applyRules(want, {100, 199}).changes, 0u);
    EXPECT_NE(lines("-4", 110).at(0).find("from 198.51.100.0/24 blackhole"), std::string::npos);
    EXPECT_NE(lines("-4", 111).at(0).find("unreachable"), std::string::npos);
    EXPECT_NE(lines("-4", 112).at(0).find("prohibit"), std::string::npos);
    EXPECT_NE(lines("-4", 113).at(0).find("fwmark 0x51820 lookup 181"), std::string::npos)
        << lines("-4", 113).at(0);
}

TEST_F(RuleTest, Ipv6RulesWithPorts) {
    RouteEngine e(kProto);
    RoutingRule r = rule(120, 180, Family::V6);
    r.from = P("2001:db8::/32");
    r.ipproto = 17;
    r.sport = PortRange{53, 53};
    r.dport = PortRange{5000, 5100};
    r.fwmark = Mark{0x40, 0x60};
    auto res = e.applyRules({r}, {100, 199});
    ASSERT_TRUE(res.ok()) << res.errors[0];
    auto got = lines("-6", 120);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0],
              "120:\tfrom 2001:db8::/32 fwmark 0x40/0x60 ipproto udp sport 53 dport 5000-5100 "
              "lookup 180 proto 149");
    EXPECT_TRUE(lines("-4", 120).empty());
    EXPECT_EQ(e.applyRules({r}, {100, 199}).changes, 0u);
    EXPECT_EQ(e.applyRules({}, {100, 199}).changes, 1u);
    EXPECT_TRUE(lines("-6", 120).empty());
}

TEST_F(RuleTest, OnlyOurPriorityRangeAndOurProtocolAreTouched) {
    ip("rule add priority 150 fwmark 0x1 lookup 181");
    ip("rule add priority 151 lookup 180");  // identical to ours but for the protocol
    ip("-6 rule add priority 151 lookup 180");
    RouteEngine e(kProto);
    ASSERT_TRUE(e.applyRules({rule(500, 182)}, {500, 599}).ok());
    auto res = e.applyRules({rule(151, 180), rule(151, 180, Family::V6)}, {100, 199});
    ASSERT_TRUE(res.ok()) << res.errors[0];
    EXPECT_EQ(res.changes, 2u);
    EXPECT_EQ(lines("-4", 151).size(), 2u);
    ASSERT_TRUE(e.applyRules({}, {100, 199}).ok());
    EXPECT_EQ(lines("-4", 150).size(), 1u);
    ASSERT_EQ(lines("-4", 151).size(), 1u);
    EXPECT_EQ(lines("-4", 151)[0].find("proto 149"), std::string::npos);
    EXPECT_EQ(lines("-6", 151).size(), 1u);
    EXPECT_EQ(lines("-4", 500).size(), 1u);  // ours, but outside the range given
    auto all = e.removeAll();
    EXPECT_TRUE(all.ok());
    EXPECT_EQ(all.changes, 1u);
    EXPECT_TRUE(lines("-4", 500).empty());
    EXPECT_EQ(lines("-4", 150).size(), 1u);
    EXPECT_EQ(lines("-4", 151).size(), 1u);
}

TEST_F(RuleTest, RefusesRulesOutsideTheRange) {
    RouteEngine e(kProto);
    auto res = e.applyRules({rule(99, 180), rule(100, 180)}, {100, 199});
    ASSERT_EQ(res.errors.size(), 1u);
    EXPECT_NE(res.errors[0].find("priority outside 100-199"), std::string::npos) << res.errors[0];
    EXPECT_EQ(res.changes, 1u);
    EXPECT_TRUE(lines("-4", 99).empty());
}

TEST_F(RuleTest, TableChangeAddsTheNewRuleBeforeDeletingTheOld) {
    RouteEngine e(kProto);
    RoutingRule r = rule(100, 180);
    r.fwmark = Mark{0x20, 0x60};
    ASSERT_TRUE(e.applyRules({r}, {100, 199}).ok());
    Recorder rec;
    r.table = 181;
    auto res = e.applyRules({r}, {100, 199});
    ASSERT_TRUE(res.ok()) << res.errors[0];
    EXPECT_EQ(res.changes, 2u);
    auto ev = rec.take();
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].type, RTM_NEWRULE);
    EXPECT_EQ(ev[0].table, 181u);
    EXPECT_EQ(ev[1].type, RTM_DELRULE);
    EXPECT_EQ(ev[1].table, 180u);
    auto got = lines("-4", 100);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].find("lookup 181"), std::string::npos) << got[0];
}

// The kernel deletes the first rule matching the fields a request names: deleting
// "100: lookup 180" may take "100: fwmark 0x20/0x60 lookup 180". The engine puts it back.
TEST_F(RuleTest, DeletingALessSpecificRuleKeepsTheMoreSpecificOne) {
    RouteEngine e(kProto);
    RoutingRule specific = rule(100, 180), plain = rule(100, 180);
    specific.fwmark = Mark{0x20, 0x60};
    ASSERT_TRUE(e.applyRules({specific}, {100, 199}).ok());
    ASSERT_TRUE(e.applyRules({specific, plain}, {100, 199}).ok());
    ASSERT_EQ(lines("-4", 100).size(), 2u);
    auto res = e.applyRules({specific}, {100, 199});
    ASSERT_TRUE(res.ok()) << res.errors[0];
    auto got = lines("-4", 100);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].find("fwmark 0x20/0x60 lookup 180"), std::string::npos) << got[0];
    EXPECT_EQ(e.applyRules({specific}, {100, 199}).changes, 0u);
}

TEST_F(RuleTest, RulesOfOurProtocolThatWeCannotExpressAreRemoved) {
    ip("rule add priority 130 tos 0x10 lookup 180 protocol 149");
    ip("rule add priority 131 uidrange 1000-2000 lookup 180 protocol 149");
    RouteEngine e(kProto);
    auto res = e.applyRules({}, {100, 199});
    ASSERT_TRUE(res.ok()) << res.errors[0];
    EXPECT_EQ(res.changes, 2u);
    EXPECT_TRUE(lines("-4", 130).empty());
    EXPECT_TRUE(lines("-4", 131).empty());
}

TEST_F(RuleTest, KernelRefusalIsReportedAndTheOldRuleStays) {
    RouteEngine e(kProto);
    ASSERT_TRUE(e.applyRules({rule(101, 180)}, {100, 199}).ok());
    RoutingRule r = rule(100, 180);
    r.ipproto = 6;
    r.dport = PortRange{100, 65535};  // the kernel wants the end below 65535
    auto res = e.applyRules({r}, {100, 199});
    ASSERT_EQ(res.errors.size(), 1u);
    EXPECT_NE(res.errors[0].find("100: from all ipproto 6 dport 100-65535 lookup 180"),
              std::string::npos)
        << res.errors[0];
    EXPECT_NE(res.errors[0].find("Invalid argument"), std::string::npos) << res.errors[0];
    EXPECT_EQ(res.changes, 0u);
    EXPECT_EQ(lines("-4", 101).size(), 1u);  // its successor never came: no gap
}

}  // namespace
}  // namespace weft::test
