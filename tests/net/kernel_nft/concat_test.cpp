// Concatenated sets and maps, verdict and data maps, named counters and the per-bit mark
// restore: applied, listed by nft as nft writes them, read back by a fresh engine unchanged,
// and diffed element by element.
#include <gtest/gtest.h>

#include "nft_cli.hpp"

namespace weft::test {
namespace {

using namespace weft::nft;
using kernel::NftEngine;

Prefix P(const char* s) {
    return *Prefix::parse(s);
}
PortRange port(uint16_t a, uint16_t b = 0) {
    return PortRange{a, b ? b : a};
}

class ConcatTest : public ::testing::Test {
  protected:
    void SetUp() override { resetRuleset(); }
    void TearDown() override { resetRuleset(); }

    static Set concat(const std::string& name, std::vector<DataType> types, bool interval = false,
                      std::optional<DataType> data = std::nullopt) {
        Set s;
        s.name = name;
        s.concat = std::move(types);
        s.interval = interval;
        s.dataType = data;
        return s;
    }
    static Table table(std::vector<Set> sets, std::vector<Chain> chains = {}) {
        Table t;
        t.name = "weft_c";
        t.sets = std::move(sets);
        t.chains = std::move(chains);
        return t;
    }
    static void expectAdoptedUnchanged(const Table& t) {
        NftEngine fresh(NftEngine::Options{false});
        auto r = fresh.apply("probe", {t});
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.errors[0]);
        EXPECT_EQ(r.changes, 0u) << "a fresh engine disagrees with what the kernel holds:\n"
                                 << nft("list table inet weft_c");
    }
};

TEST_F(ConcatTest, ConcatenatedSetsListAsNftAndAreAdopted) {
    auto svc4 = concat("svc4", {DataType::Ipv4Addr, DataType::InetProto, DataType::InetService});
    svc4.elements = {Element{Concat{{P("10.0.0.1/32"), 6u, port(80)}}, {}},
                     Element{Concat{{P("10.0.0.2/32"), 17u, port(53)}}, {}}};
    auto pairs4 = concat("pairs4", {DataType::Ipv4Addr, DataType::Ipv4Addr}, true);
    pairs4.elements = {Element{Concat{{P("10.0.0.0/24"), P("10.1.0.0/16")}}, {}},
                       Element{Concat{{P("192.0.2.1/32"), P("0.0.0.0/0")}}, {}}};
    auto ifaddr4 = concat("ifaddr4", {DataType::IfName, DataType::Ipv4Addr});
    ifaddr4.elements = {Element{Concat{{std::string("eth0"), P("10.0.0.1/32")}}, {}}};
    auto svc6 =
        concat("svc6", {DataType::Ipv6Addr, DataType::InetProto, DataType::InetService}, true);
    svc6.elements = {Element{Concat{{P("2001:db8::/64"), 6u, port(80, 90)}}, {}},
                     Element{Concat{{P("fd00::1/128"), 132u, port(9000)}}, {}}};
    auto pairs6 = concat("pairs6", {DataType::Ipv6Addr, DataType::Ipv6Addr});
    pairs6.elements = {Element{Concat{{P("fd00::1/128"), P("fd00::2/128")}}, {}}};
    Table t = table({svc4, pairs4, ifaddr4, svc6, pairs6});

    NftEngine e(NftEngine::Options{false});
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = nft("list table inet weft_c");
    for (auto* want :
         {"type ipv4_addr . inet_proto . inet_service", "10.0.0.1 . tcp . 80",
          "10.0.0.2 . udp . 53", "type ipv4_addr . ipv4_addr", "10.0.0.0/24 . 10.1.0.0/16",
          "192.0.2.1 . 0.0.0.0/0", "type ifname . ipv4_addr", "\"eth0\" . 10.0.0.1",
          "type ipv6_addr . inet_proto . inet_service", "2001:db8::/64 . tcp . 80-90",
          "fd00::1 . sctp . 9000", "type ipv6_addr . ipv6_addr", "fd00::1 . fd00::2"}) {
        EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
    }
    expectAdoptedUnchanged(t);

    // One element more and one less: two element messages, nothing else.
    t.sets[3].elements.insert(Element{Concat{{P("2001:db8:1::/48"), 17u, port(53)}}, {}});
    t.sets[0].elements.erase(Concat{{P("10.0.0.2/32"), 17u, port(53)}});
    r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 2u);
    EXPECT_EQ(e.lastBatchStats().elements, 2u);
    text = nft("list table inet weft_c");
    EXPECT_NE(text.find("2001:db8:1::/48 . udp . 53"), std::string::npos) << text;
    EXPECT_EQ(text.find("10.0.0.2 . udp . 53"), std::string::npos) << text;
    expectAdoptedUnchanged(t);
}

TEST_F(ConcatTest, MapsDiffElementByElement) {
    auto dispatch =
        concat("dispatch4", {DataType::Ipv4Addr, DataType::InetService}, false, DataType::Verdict);
    for (uint16_t i = 0; i < 1000; ++i) {
        uint8_t b[4] = {10, 0, uint8_t(i >> 8), uint8_t(i)};
        dispatch.elements.insert(
            Element{Concat{{Prefix::host(Address::fromBytes(Family::V4, b)), port(80)}},
                    VerdictData{Verdict::Jump, i % 2 ? "pol-a" : "pol-b"}});
    }
    Set buckets{"buckets", DataType::Mark, DataType::Mark, false, std::nullopt, {}};
    for (uint32_t b = 0; b < 256; ++b)
        buckets.elements.insert(Element{b, uint32_t(0x100 + b % 3)});
    Chain fwd{"fwd", BaseChain{ChainType::Filter, Hook::Forward, 0, Verdict::Accept}, {}};
    HashMark h;
    h.fields = {Field::IpSaddr, Field::IpDaddr};
    h.modulus = 256;
    h.seed = 0x1234;
    h.map = "buckets";
    h.target = MarkTarget::Ct;
    fwd.rules = {Rule{}.family(Family::V4).vmap({Field::IpDaddr, Field::Dport}, "dispatch4"),
                 Rule{}.family(Family::V4).add(h)};
    Table t = table({dispatch, buckets}, {fwd, Chain{"pol-a", std::nullopt, {Rule{}.accept()}},
                                          Chain{"pol-b", std::nullopt, {Rule{}.drop()}}});
    NftEngine e(NftEngine::Options{false});
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = nft("list table inet weft_c");
    EXPECT_NE(text.find("type ipv4_addr . inet_service : verdict"), std::string::npos) << text;
    EXPECT_NE(text.find("10.0.0.1 . 80 : jump pol-a"), std::string::npos) << text;
    EXPECT_NE(text.find("ct mark set jhash ip saddr . ip daddr mod 256 seed 0x1234 map @buckets"),
              std::string::npos)
        << text;
    expectAdoptedUnchanged(t);

    // A bucket moves to another gateway and a pod changes policy: two elements replaced (each a
    // delete and an add), in one transaction; no chain or rule is touched.
    t.sets[1].elements.insert(Element{uint32_t(7), uint32_t(0x1ff)});
    t.sets[0].elements.insert(
        Element{Concat{{P("10.0.0.3/32"), port(80)}}, VerdictData{Verdict::Jump, "pol-b"}});
    r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(e.lastBatchStats().elements, 4u);
    EXPECT_EQ(e.lastBatchStats().messages, 4u);
    text = nft("list table inet weft_c");
    EXPECT_NE(text.find("10.0.0.3 . 80 : jump pol-b"), std::string::npos) << text;
    EXPECT_NE(text.find("0x00000007 : 0x000001ff"), std::string::npos) << text;
    expectAdoptedUnchanged(t);
}

TEST_F(ConcatTest, ElementsThatDoNotFitTheTypeAreRefusedBeforeSending) {
    NftEngine e(NftEngine::Options{false});
    auto s = concat("svc4", {DataType::Ipv4Addr, DataType::InetProto, DataType::InetService});
    for (auto& bad : {Concat{{P("10.0.0.1/32"), 6u}},                // a part missing
                      Concat{{P("fd00::1/128"), 6u, port(80)}},      // IPv6 in IPv4
                      Concat{{P("10.0.0.0/24"), 6u, port(80)}},      // prefix, no interval
                      Concat{{P("10.0.0.1/32"), 6u, port(80, 90)}},  // range, no interval
                      Concat{{P("10.0.0.1/32"), 300u, port(80)}},    // not a protocol
                      Concat{{P("10.0.0.1/32"), std::string("x"), port(80)}}}) {
        s.elements = {Element{bad, {}}};
        auto r = e.apply("probe", {table({s})});
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.errors[0].find("element"), std::string::npos) << r.errors[0];
        EXPECT_EQ(listTable("inet", "weft_c"), "");
    }
}

TEST_F(ConcatTest, NamedCountersKeepTheirValuesAcrossChainChanges) {
    Chain out{"out", BaseChain{ChainType::Filter, Hook::Output, 0, Verdict::Accept}, {}};
    out.rules = {Rule{}.family(Family::V4).daddr(P("127.0.0.9/32")).counter("probed").accept()};
    Table t = table({}, {out});
    t.counters = {"probed", "spare"};
    NftEngine e(NftEngine::Options{false});
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    EXPECT_NE(nft("list table inet weft_c").find("counter probed {"), std::string::npos);
    sh("ping -c 3 -i 0.01 -W 1 127.0.0.9");
    auto c = e.namedCounters("probe", TableFamily::Inet, "weft_c");
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c["probed"].packets, 3u);
    EXPECT_GT(c["probed"].bytes, 0u);
    EXPECT_EQ(c["spare"].packets, 0u);
    expectAdoptedUnchanged(t);
    // The chain is replaced, a counter goes: the other keeps counting where it was.
    t.chains[0].rules.push_back(Rule{}.counter("probed").withComment("all"));
    t.counters = {"probed"};
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    c = e.namedCounters("probe", TableFamily::Inet, "weft_c");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c["probed"].packets, 3u);
    EXPECT_TRUE(e.namedCounters("other", TableFamily::Inet, "weft_c").empty());
}

TEST_F(ConcatTest, MaskedMarkRestoreKeepsOtherBits) {
    // Another manager's bit 0x1000 is set first; the flow's ct mark carries 0x5 (and 0x20000,
    // outside the mask); MarkFromCt{0xff} must give exactly 0x1005.
    Chain out{"out", BaseChain{ChainType::Route, Hook::Output, -150, Verdict::Accept}, {}};
    out.rules = {
        Rule{}.family(Family::V4).daddr(P("127.0.0.7/32")).setMark(Mark{0x10ff, 0x10ff}),
        Rule{}.family(Family::V4).daddr(P("127.0.0.7/32")).setCtMark(Mark{0x20005, 0xffffffff}),
        Rule{}
            .family(Family::V4)
            .daddr(P("127.0.0.7/32"))
            .add(MarkFromCt{0xff})
            .counter("restored"),
        Rule{}.mark(Mark{0x1005, 0xffffffff}).counter("exact"),
    };
    Table t = table({}, {out});
    t.counters = {"restored", "exact"};
    NftEngine e(NftEngine::Options{false});
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = nft("list table inet weft_c");
    EXPECT_NE(text.find("jump __weft_mark_"), std::string::npos) << text;
    EXPECT_NE(text.find("meta mark set meta mark & 0xffffff00"), std::string::npos) << text;
    EXPECT_NE(text.find("ct mark & 0x00000004 == 0x00000004 meta mark set meta mark | 0x00000004"),
              std::string::npos)
        << text;
    expectAdoptedUnchanged(t);
    sh("ping -c 2 -i 0.01 -W 1 127.0.0.7");
    auto c = e.namedCounters("probe", TableFamily::Inet, "weft_c");
    EXPECT_EQ(c["restored"].packets, 2u);
    EXPECT_EQ(c["exact"].packets, 2u) << text;
    // Without the rule the added chain goes too.
    t.chains[0].rules.erase(t.chains[0].rules.begin() + 2);
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    EXPECT_EQ(nft("list table inet weft_c").find("__weft_mark_"), std::string::npos);
}

TEST_F(ConcatTest, MaskedHashIntoBucketMapKeepsOtherBits) {
    // The flow's ct mark holds another manager's 0x20000; the bucket map writes 0x05 under 0xff.
    Set buckets{"buckets", DataType::Mark, DataType::Mark, false, std::nullopt, {}};
    buckets.elements = {Element{uint32_t(0), uint32_t(0x05)}, Element{uint32_t(1), uint32_t(0x05)}};
    HashMark h;
    h.fields = {Field::IpSaddr, Field::IpDaddr};
    h.modulus = 2;
    h.seed = 7;
    h.map = "buckets";
    h.target = MarkTarget::Ct;
    h.mask = 0xff;
    Chain out{"out", BaseChain{ChainType::Filter, Hook::Output, 0, Verdict::Accept}, {}};
    out.rules = {
        Rule{}.family(Family::V4).daddr(P("127.0.0.8/32")).setCtMark(Mark{0x200ff, 0xffffffff}),
        Rule{}.family(Family::V4).daddr(P("127.0.0.8/32")).add(h).counter("hashed"),
        Rule{}
            .family(Family::V4)
            .daddr(P("127.0.0.8/32"))
            .ctMark(Mark{0x20005, 0xffffffff})
            .counter("exact"),  // the requests: the replies (on lo too) have their own daddr
    };
    Table t = table({buckets}, {out});
    t.counters = {"hashed", "exact"};
    NftEngine e(NftEngine::Options{false});
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = nft("list table inet weft_c");
    EXPECT_NE(text.find("jhash ip saddr . ip daddr mod 2 seed 0x7 vmap @buckets"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("chain __weft_ctmark_00000005_000000ff"), std::string::npos) << text;
    // nft prints (ct mark & 0xffffff00) ^ 0x05 simplified, as it does its own.
    EXPECT_NE(text.find("ct mark set ct mark & 0xffffff05 | 0x00000005"), std::string::npos)
        << text;
    expectAdoptedUnchanged(t);
    sh("ping -c 2 -i 0.01 -W 1 127.0.0.8");
    auto c = e.namedCounters("probe", TableFamily::Inet, "weft_c");
    EXPECT_EQ(c["hashed"].packets, 2u) << text;
    EXPECT_EQ(c["exact"].packets, 2u) << text;
    // A bucket moves: one element of the map, and a chain for the new value.
    t.sets[0].elements.insert(Element{uint32_t(1), uint32_t(0x06)});
    r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(e.lastBatchStats().elements, 2u);
    EXPECT_NE(nft("list table inet weft_c").find("__weft_ctmark_00000006_000000ff"),
              std::string::npos);
    expectAdoptedUnchanged(t);
    // A value outside the mask is refused before anything is sent.
    t.sets[0].elements.insert(Element{uint32_t(1), uint32_t(0x100)});
    r = e.apply("probe", {t});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.errors[0].find("outside the mask"), std::string::npos) << r.errors[0];
}

}  // namespace
}  // namespace weft::test
