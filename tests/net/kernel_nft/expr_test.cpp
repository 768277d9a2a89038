// Every typed expression, as `nft list` prints what the engine sent.
#include <gtest/gtest.h>

#include "nft_cli.hpp"

namespace weft::test {
namespace {

using namespace weft::nft;
using kernel::NftEngine;

struct Case {
    Rule rule;
    std::string text;  ///< what nft prints for it
};

Prefix P(const char* s) {
    return *Prefix::parse(s);
}

std::vector<Case> filterCases() {
    const Mark m{0x20, 0x60};
    return {
        {Rule{}.mark(m), "meta mark & 0x00000060 == 0x00000020"},
        {Rule{}.mark(Mark{0x51820, 0xffffffff}, true), "meta mark != 0x00051820"},
        {Rule{}.ctMark(Mark{0x100, 0x100}), "ct mark & 0x00000100 == 0x00000100"},
        {Rule{}.iif("eth0"), "iifname \"eth0\""},
        {Rule{}.oif("wg0", true), "oifname != \"wg0\""},
        {Rule{}.l4proto(17), "meta l4proto udp"},
        {Rule{}.family(Family::V6), "meta nfproto ipv6"},
        {Rule{}.family(Family::V4).saddr(P("10.0.0.0/8")), "ip saddr 10.0.0.0/8"},
        {Rule{}.family(Family::V4).daddr(P("192.0.2.1/32"), true), "ip daddr != 192.0.2.1"},
        {Rule{}.family(Family::V4).daddr(P("172.16.0.0/12"), true), "ip daddr != 172.16.0.0/12"},
        {Rule{}.family(Family::V6).daddr(P("2001:db8::/32")), "ip6 daddr 2001:db8::/32"},
        {Rule{}.family(Family::V6).saddr(P("fc00::/7")), "ip6 saddr fc00::/7"},
        {Rule{}.family(Family::V4).daddrIn(Family::V4, "dst4", true), "ip daddr != @dst4"},
        {Rule{}.family(Family::V6).saddrIn(Family::V6, "src6"), "ip6 saddr @src6"},
        {Rule{}.l4proto(6).dport(PortRange{22, 22}), "tcp dport 22"},
        {Rule{}.l4proto(17).sport(PortRange{1000, 2000}, true), "udp sport != 1000-2000"},
        {Rule{}.l4proto(6).add(MatchPort{Dir::Dst, std::nullopt, "ports", false}),
         "tcp dport @ports"},
        {Rule{}.ctState(CtEstablished | CtRelated), "ct state established,related"},
        {Rule{}.counter(), "counter packets 0 bytes 0"},
        {Rule{}.log("weft: "), "log prefix \"weft: \""},
        // (mark & 0xffffff9f) ^ 0x20, which nft prints simplified, as it does for its own.
        {Rule{}.setMark(m), "meta mark set meta mark & 0xffffffbf | 0x00000020"},
        {Rule{}.setCtMark(m), "ct mark set ct mark & 0xffffffbf | 0x00000020"},
        {Rule{}.add(MarkFromCt{}), "meta mark set ct mark"},
        {Rule{}.add(CtMarkFromMark{}), "ct mark set meta mark"},
        {Rule{}.add(HashMark{HashMark::Kind::Numgen, Family::V4, 2, "buckets"}),
         "meta mark set numgen inc mod 2 map @buckets"},
        {Rule{}
             .family(Family::V4)
             .add(HashMark{HashMark::Kind::JhashSaddr, Family::V4, 3, "buckets"}),
         "meta mark set jhash ip saddr mod 3 map @buckets"},
        {Rule{}
             .family(Family::V6)
             .add(HashMark{HashMark::Kind::JhashSaddrDaddr, Family::V6, 2, "buckets"}),
         "meta mark set jhash ip6 saddr . ip6 daddr mod 2 map @buckets"},
        {Rule{}
             .family(Family::V4)
             .add(HashMark{HashMark::Kind::JhashSaddrDaddr, Family::V4, 2, "buckets"}),
         "meta mark set jhash ip saddr . ip daddr mod 2 map @buckets"},
        {Rule{}.add(ClampMss{}), "tcp flags syn tcp option maxseg size set rt mtu"},
        {Rule{}.add(ClampMss{1360}), "tcp flags syn tcp option maxseg size set 1360"},
        {Rule{}.accept(), "accept"},
        {Rule{}.drop(), "drop"},
        {Rule{}.ret(), "return"},
        {Rule{}.add(VerdictStmt{Verdict::Continue, {}}), "continue"},
        {Rule{}.jump("sub"), "jump sub"},
        {Rule{}.goTo("sub"), "goto sub"},
        {Rule{}.accept().withComment("accepted, counted"), "accept comment \"accepted, counted\""},
    };
}

std::vector<Case> natCases() {
    Nat snat{Nat::Kind::Snat, Family::V4, Address::parse("192.0.2.1"), 1234};
    Nat dnat{Nat::Kind::Dnat, Family::V6, Address::parse("2001:db8::1"), std::nullopt};
    return {
        {Rule{}.add(Nat{}), "masquerade"},
        {Rule{}.l4proto(6).add(snat), "snat ip to 192.0.2.1:1234"},
        {Rule{}.family(Family::V6).add(dnat), "dnat ip6 to 2001:db8::1"},
    };
}

Table exprTable() {
    Table t;
    t.name = "weft_x";
    Set buckets{"buckets", DataType::Mark, DataType::Mark, false, std::nullopt, {}};
    buckets.elements = {Element{uint32_t(0), uint32_t(0x100)},
                        Element{uint32_t(1), uint32_t(0x200)},
                        Element{uint32_t(2), uint32_t(0x300)}};
    t.sets = {buckets, Set{"dst4", DataType::Ipv4Addr, std::nullopt, true, std::nullopt, {}},
              Set{"src6", DataType::Ipv6Addr, std::nullopt, true, std::nullopt, {}},
              Set{"ports", DataType::InetService, std::nullopt, true, std::nullopt, {}}};
    Chain filter{"f", BaseChain{ChainType::Filter, Hook::Forward, 0, Verdict::Accept}, {}};
    for (auto& c : filterCases())
        filter.rules.push_back(c.rule);
    Chain post{"post", BaseChain{ChainType::Nat, Hook::Postrouting, 100, Verdict::Accept}, {}};
    post.rules = {natCases()[0].rule, natCases()[1].rule};
    Chain pre{"pre", BaseChain{ChainType::Nat, Hook::Prerouting, -100, Verdict::Accept}, {}};
    pre.rules = {natCases()[2].rule};
    t.chains = {filter, Chain{"sub", std::nullopt, {}}, post, pre};
    return t;
}

// The lines of one chain's body, trimmed.
std::vector<std::string> chainLines(const std::string& table) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < table.size()) {
        auto end = table.find('\n', pos);
        auto line = table.substr(pos, end - pos);
        line.erase(0, line.find_first_not_of('\t'));
        out.push_back(line);
        pos = end == std::string::npos ? end : end + 1;
    }
    return out;
}

TEST(ExprTest, EveryExpressionListsAsNftWritesIt) {
    resetRuleset();
    NftEngine e(NftEngine::Options{false});
    auto r = e.apply("probe", {exprTable()});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto filter = nft("list chain inet weft_x f");
    auto lines = chainLines(filter);
    auto cases = filterCases();
    // Rules follow the chain header line and the hook line, in order.
    auto first = std::find_if(lines.begin(), lines.end(),
                              [](auto& l) { return l.find("type filter hook") == 0; });
    ASSERT_NE(first, lines.end()) << filter;
    for (size_t i = 0; i < cases.size(); ++i) {
        ASSERT_LT(size_t(first - lines.begin()) + 1 + i, lines.size()) << filter;
        EXPECT_EQ((first + 1 + long(i))->rfind(cases[i].text, 0), 0u)
            << "rule " << i << ": expected \"" << cases[i].text << "\", nft prints \""
            << *(first + 1 + long(i)) << "\"";
    }
    auto nat = nft("list table inet weft_x");
    for (auto& c : natCases())
        EXPECT_NE(nat.find(c.text), std::string::npos) << c.text << "\n" << nat;
    // A fresh engine reads it all back as the same rules.
    NftEngine fresh(NftEngine::Options{false});
    EXPECT_EQ(fresh.apply("probe", {exprTable()}).changes, 0u);
    resetRuleset();
}

TEST(ExprTest, InexpressibleRuleIsRefusedBeforeSending) {
    resetRuleset();
    NftEngine e(NftEngine::Options{false});
    Table t;
    t.name = "weft_x";
    for (auto& rule : {Rule{}.add(MatchAddr{}),
                       Rule{}.add(HashMark{HashMark::Kind::Numgen, Family::V4, 2, "m", 0x60}),
                       Rule{}.add(MarkFromCt{0xff}), Rule{}.iif("a-name-much-too-long")}) {
        t.chains = {Chain{"c", std::nullopt, {rule}}};
        auto r = e.apply("probe", {t});
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.errors[0].find("table inet weft_x: "), std::string::npos) << r.errors[0];
        EXPECT_EQ(e.lastBatchStats().messages, 0u);
        EXPECT_EQ(listTable("inet", "weft_x"), "");
    }
}

}  // namespace
}  // namespace weft::test
