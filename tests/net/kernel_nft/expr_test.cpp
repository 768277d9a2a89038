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

HashMark hash(HashMark::Kind kind, std::vector<Field> fields, uint32_t modulus, std::string map,
              std::optional<uint32_t> seed = std::nullopt, uint32_t offset = 0,
              MarkTarget target = MarkTarget::Meta) {
    HashMark h;
    h.kind = kind;
    h.fields = std::move(fields);
    h.modulus = modulus;
    h.map = std::move(map);
    h.seed = seed;
    h.offset = offset;
    h.target = target;
    return h;
}

Set concatSet(std::string name, std::vector<DataType> types,
              std::optional<DataType> data = std::nullopt) {
    Set s{std::move(name), DataType::Ipv4Addr, data, false, std::nullopt, {}};
    s.concat = std::move(types);
    return s;
}

std::vector<Case> filterCases() {
    const Mark m{0x20, 0x60};
    return {
        {Rule{}.mark(m), "meta mark & 0x00000060 == 0x00000020"},
        {Rule{}.mark(Mark{0x51820, 0xffffffff}, true), "meta mark != 0x00051820"},
        {Rule{}.ctMark(Mark{0x100, 0x100}), "ct mark & 0x00000100 == 0x00000100"},
        {Rule{}.iif("eth0"), "iifname \"eth0\""},
        {Rule{}.oif("wg0", true), "oifname != \"wg0\""},
        {Rule{}.iif("veth*"), "iifname \"veth*\""},
        {Rule{}.oif("br-*", true), "oifname != \"br-*\""},
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
        {Rule{}.add(hash(HashMark::Kind::Numgen, {}, 2, "buckets")),
         "meta mark set numgen inc mod 2 map @buckets"},
        {Rule{}.family(Family::V4).add(hash(HashMark::Kind::Jhash, {Field::IpSaddr}, 3, "buckets")),
         "meta mark set jhash ip saddr mod 3 map @buckets"},
        {Rule{}
             .family(Family::V6)
             .add(hash(HashMark::Kind::Jhash, {Field::Ip6Saddr, Field::Ip6Daddr}, 2, "buckets")),
         "meta mark set jhash ip6 saddr . ip6 daddr mod 2 map @buckets"},
        {Rule{}
             .family(Family::V4)
             .add(hash(HashMark::Kind::Jhash, {Field::IpSaddr, Field::IpDaddr}, 256, "buckets",
                       0x5eed, 0, MarkTarget::Ct)),
         "ct mark set jhash ip saddr . ip daddr mod 256 seed 0x5eed map @buckets"},
        {Rule{}
             .family(Family::V4)
             .add(hash(HashMark::Kind::Jhash, {Field::IpSaddr}, 4, "", 7, 100)),
         "meta mark set jhash ip saddr mod 4 seed 0x7 offset 100"},
        {Rule{}.add(hash(HashMark::Kind::Symhash, {}, 2, "", std::nullopt, 100)),
         "meta mark set symhash mod 2 offset 100"},
        {Rule{}.add(hash(HashMark::Kind::Numgen, {}, 3, "", std::nullopt, 10, MarkTarget::Ct)),
         "ct mark set numgen inc mod 3 offset 10"},
        {Rule{}.family(Family::V4).add(MapMark{{Field::IpSaddr}, "marks4"}),
         "meta mark set ip saddr map @marks4"},
        {Rule{}.family(Family::V4).in({Field::IpSaddr, Field::L4Proto, Field::Dport}, "svc4"),
         "ip saddr . meta l4proto . th dport @svc4"},
        {Rule{}.family(Family::V4).in({Field::IpSaddr, Field::IpDaddr}, "pairs4", true),
         "ip saddr . ip daddr != @pairs4"},
        {Rule{}.family(Family::V6).in({Field::Ip6Saddr, Field::L4Proto, Field::Dport}, "svc6"),
         "ip6 saddr . meta l4proto . th dport @svc6"},
        {Rule{}.family(Family::V4).in({Field::IifName, Field::IpSaddr}, "ifaddr4"),
         "iifname . ip saddr @ifaddr4"},
        {Rule{}.family(Family::V4).vmap({Field::IpDaddr, Field::Dport}, "dispatch4"),
         "ip daddr . th dport vmap @dispatch4"},
        {Rule{}.add(MatchCtStatus{}), "ct status dnat"},
        {Rule{}.add(MatchCtDirection{}), "ct direction original"},
        {Rule{}.add(MatchCtDirection{true}), "ct direction reply"},
        {Rule{}.add(MatchFibDaddrLocal{}), "fib daddr type local"},
        {Rule{}.add(MatchFibDaddrLocal{true}), "fib daddr type != local"},
        {Rule{}.family(Family::V4).add(MatchIcmpType{Family::V4, 8}), "icmp type echo-request"},
        {Rule{}.family(Family::V6).add(MatchIcmpType{Family::V6, 135}),
         "icmpv6 type nd-neighbor-solicit"},
        {Rule{}.l4proto(132), "meta l4proto sctp"},
        {Rule{}.counter("denied"), "counter name \"denied\""},
        {Rule{}.limit(10).logGroup(86, "weft-drop: "),
         "limit rate 10/second log prefix \"weft-drop: \" group 86"},
        {Rule{}.limit(100, Limit::Per::Minute, 20).log("x "),
         "limit rate 100/minute burst 20 packets log prefix \"x \""},
        {Rule{}.reject(), "reject"},
        {Rule{}.reject(Reject::Kind::AdminProhibited), "reject with icmpx admin-prohibited"},
        {Rule{}.reject(Reject::Kind::TcpReset), "meta l4proto tcp reject with tcp reset"},
        {Rule{}.family(Family::V4).reject(Reject::Kind::PortUnreachable, Family::V4),
         "reject with icmp port-unreachable"},
        {Rule{}.family(Family::V4).reject(Reject::Kind::AdminProhibited, Family::V4),
         "reject with icmp admin-prohibited"},
        {Rule{}.family(Family::V6).reject(Reject::Kind::AdminProhibited, Family::V6),
         "reject with icmpv6 admin-prohibited"},
        {Rule{}.family(Family::V6).reject(Reject::Kind::PortUnreachable, Family::V6),
         "reject with icmpv6 port-unreachable"},
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
    t.sets = {
        buckets,
        Set{"dst4", DataType::Ipv4Addr, std::nullopt, true, std::nullopt, {}},
        Set{"src6", DataType::Ipv6Addr, std::nullopt, true, std::nullopt, {}},
        Set{"ports", DataType::InetService, std::nullopt, true, std::nullopt, {}},
        Set{"marks4", DataType::Ipv4Addr, DataType::Mark, false, std::nullopt, {}},
        concatSet("svc4", {DataType::Ipv4Addr, DataType::InetProto, DataType::InetService}),
        concatSet("pairs4", {DataType::Ipv4Addr, DataType::Ipv4Addr}),
        concatSet("svc6", {DataType::Ipv6Addr, DataType::InetProto, DataType::InetService}),
        concatSet("ifaddr4", {DataType::IfName, DataType::Ipv4Addr}),
        concatSet("dispatch4", {DataType::Ipv4Addr, DataType::InetService}, DataType::Verdict)};
    t.counters = {"denied"};
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
        EXPECT_EQ(*(first + 1 + long(i)), cases[i].text)
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
    HashMark masked = hash(HashMark::Kind::Numgen, {}, 2, "m");
    masked.mask = 0x60;
    std::vector<std::pair<std::string, Rule>> refused = {
        {"c", Rule{}.add(MatchAddr{})},
        {"c", Rule{}.add(masked)},
        {"c", Rule{}.add(MarkFromCt{0xff}).ret()},  // return would leave the added chain only
        {"c", Rule{}.iif("a-name-much-too-long")},
        {"c", Rule{}.in({}, "s")},
        {"c", Rule{}.in({Field::Ip6Saddr, Field::Ip6Daddr, Field::Ip6Saddr, Field::Ip6Daddr,
                         Field::L4Proto},
                        "s")},  // 68 bytes: more than the registers hold
        {"c", Rule{}.logGroup(1, std::string(128, 'x'))},
        {"__weft_mine", Rule{}.accept()},  // the core's chain names
    };
    for (auto& [chain, rule] : refused) {
        t.chains = {Chain{chain, std::nullopt, {rule}}};
        auto r = e.apply("probe", {t});
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.errors[0].find("table inet weft_x: "), std::string::npos) << r.errors[0];
        EXPECT_EQ(e.lastBatchStats().messages, 0u);
        EXPECT_EQ(listTable("inet", "weft_x"), "");
    }
}

}  // namespace
}  // namespace weft::test
