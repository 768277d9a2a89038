// Sets and maps: element-level diffs, large interval sets, the edges of the address space.
#include <gtest/gtest.h>

#include "nft_cli.hpp"

namespace weft::test {
namespace {

using namespace weft::nft;
using kernel::NftEngine;

class SetsTest : public ::testing::Test {
  protected:
    void SetUp() override { resetRuleset(); }
    void TearDown() override { resetRuleset(); }

    static Table withSet(Set s) {
        Table t;
        t.name = "weft_s";
        t.sets.push_back(std::move(s));
        return t;
    }
    static Set set(const std::string& name, DataType key, bool interval) {
        Set s;
        s.name = name;
        s.keyType = key;
        s.interval = interval;
        return s;
    }
    // A fresh engine reads the kernel back: it must find nothing to do.
    static void expectAdoptedUnchanged(const Table& t) {
        NftEngine fresh(NftEngine::Options{false});
        auto r = fresh.apply("probe", {t});
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.errors[0]);
        EXPECT_EQ(r.changes, 0u) << "a fresh engine disagrees with what the kernel holds";
    }
};

TEST_F(SetsTest, OneElementMoreSendsOneElement) {
    for (bool interval : {false, true}) {
        resetRuleset();
        NftEngine e(NftEngine::Options{false});
        auto s = set("targets4", DataType::Ipv4Addr, interval);
        s.elements = v4Elements(10000, 32);
        ASSERT_TRUE(e.apply("probe", {withSet(s)}).ok());
        EXPECT_GT(e.lastBatchStats().messages, 2u);  // split over several messages
        EXPECT_EQ(e.lastBatchStats().elements, 10000u);
        s.elements.push_back(Element{*Prefix::parse("192.0.2.7/32"), {}});
        auto r = e.apply("probe", {withSet(s)});
        ASSERT_TRUE(r.ok()) << r.errors[0];
        EXPECT_EQ(r.changes, 1u);
        EXPECT_EQ(e.lastBatchStats().messages, 1u);
        EXPECT_EQ(e.lastBatchStats().elements, 1u);
        s.elements.erase(*Prefix::parse("10.0.0.10/32"));  // the 6th element
        r = e.apply("probe", {withSet(s)});
        ASSERT_TRUE(r.ok()) << r.errors[0];
        EXPECT_EQ(e.lastBatchStats().elements, 1u);
        auto text = nft("list set inet weft_s targets4");
        EXPECT_NE(text.find("192.0.2.7"), std::string::npos);
        EXPECT_EQ(text.find("10.0.0.10,"), std::string::npos);  // the 6th element, deleted
        EXPECT_NE(text.find("10.0.0.12"), std::string::npos);
        expectAdoptedUnchanged(withSet(s));
    }
}

TEST_F(SetsTest, HundredThousandIntervalElements) {
    NftEngine e(NftEngine::Options{false});
    auto s = set("big", DataType::Ipv4Addr, true);
    s.elements = v4Elements(100000, 24, 0x01000000);
    auto r = e.apply("probe", {withSet(s)});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(e.lastBatchStats().elements, 100000u);
    EXPECT_EQ(e.apply("probe", {withSet(s)}).changes, 0u);
    EXPECT_EQ(e.lastBatchStats().messages, 0u);
    auto json = nft("-j list set inet weft_s big");
    EXPECT_EQ(count(json, "\"prefix\""), 100000u);
    expectAdoptedUnchanged(withSet(s));
    // Shrinking by half is an element diff too.
    s.elements =
        ElementSet(std::vector<Element>(s.elements.begin(), std::next(s.elements.begin(), 50000)));
    r = e.apply("probe", {withSet(s)});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 50000u);
    EXPECT_EQ(count(nft("-j list set inet weft_s big"), "\"prefix\""), 50000u);
}

TEST_F(SetsTest, EdgesOfTheAddressSpace) {
    NftEngine e(NftEngine::Options{false});
    auto v4 = set("edge4", DataType::Ipv4Addr, true);
    v4.elements = {Element{*Prefix::parse("255.255.255.255/32"), {}},
                   Element{*Prefix::parse("0.0.0.0/8"), {}}};
    auto all4 = set("all4", DataType::Ipv4Addr, true);
    all4.elements = {Element{*Prefix::parse("0.0.0.0/0"), {}}};
    auto v6 = set("edge6", DataType::Ipv6Addr, true);
    v6.elements = {Element{*Prefix::parse("ffff::/16"), {}},
                   Element{*Prefix::parse("2001:db8::/32"), {}}};
    auto ports = set("ports", DataType::InetService, true);
    ports.elements = {Element{PortRange{80, 80}, {}}, Element{PortRange{1000, 2000}, {}},
                      Element{PortRange{65000, 65535}, {}}};
    Table t;
    t.name = "weft_s";
    t.sets = {v4, all4, v6, ports};
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = listTable("inet", "weft_s");
    EXPECT_NE(text.find("elements = { 0.0.0.0/8, 255.255.255.255 }"), std::string::npos) << text;
    EXPECT_NE(text.find("elements = { 0.0.0.0/0 }"), std::string::npos) << text;
    EXPECT_NE(text.find("elements = { 2001:db8::/32,\n\t\t\t     ffff::/16 }"), std::string::npos)
        << text;
    EXPECT_NE(text.find("elements = { 80, 1000-2000, 65000-65535 }"), std::string::npos) << text;
    expectAdoptedUnchanged(t);
    t.sets[0].elements.erase(*Prefix::parse("0.0.0.0/8"));  // keep the top host
    t.sets[3].elements.erase(PortRange{65000, 65535});
    r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 2u);
    text = listTable("inet", "weft_s");
    EXPECT_NE(text.find("elements = { 255.255.255.255 }"), std::string::npos) << text;
    EXPECT_NE(text.find("elements = { 80, 1000-2000 }"), std::string::npos) << text;
    expectAdoptedUnchanged(t);
}

TEST_F(SetsTest, MapsAndOtherKeyTypes) {
    NftEngine e(NftEngine::Options{false});
    auto marks = set("buckets", DataType::Mark, false);
    marks.dataType = DataType::Mark;
    marks.elements = {Element{uint32_t(0), uint32_t(0x100)}, Element{uint32_t(1), uint32_t(0x200)}};
    auto verdicts = set("byport", DataType::InetService, false);
    verdicts.dataType = DataType::Verdict;
    verdicts.elements = {Element{PortRange{22, 22}, VerdictData{Verdict::Accept, {}}},
                         Element{PortRange{53, 53}, VerdictData{Verdict::Jump, "sub"}}};
    auto ifs = set("ifs", DataType::IfName, false);
    ifs.elements = {Element{std::string("wg0"), {}}, Element{std::string("eth1"), {}}};
    auto protos = set("protos", DataType::InetProto, false);
    protos.elements = {Element{uint32_t(6), {}}, Element{uint32_t(17), {}}};
    Table t;
    t.name = "weft_s";
    t.sets = {marks, verdicts, ifs, protos};
    t.chains = {Chain{"sub", std::nullopt, {Rule{}.accept()}}};
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = listTable("inet", "weft_s");
    EXPECT_NE(text.find("type mark : mark"), std::string::npos) << text;
    EXPECT_NE(text.find("0x00000000 : 0x00000100"), std::string::npos) << text;
    EXPECT_NE(text.find("type inet_service : verdict"), std::string::npos) << text;
    EXPECT_NE(text.find("53 : jump sub"), std::string::npos) << text;
    EXPECT_NE(text.find("22 : accept"), std::string::npos) << text;
    EXPECT_NE(text.find("type ifname"), std::string::npos) << text;
    EXPECT_NE(text.find("\"eth1\""), std::string::npos) << text;
    EXPECT_NE(text.find("type inet_proto"), std::string::npos) << text;
    EXPECT_NE(text.find("tcp"), std::string::npos) << text;
    expectAdoptedUnchanged(t);
    // A changed map value replaces that element only.
    t.sets[0].elements.insert(Element{uint32_t(1), uint32_t(0x300)});
    r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(e.lastBatchStats().elements, 2u);  // delete the old mapping, add the new
    EXPECT_NE(listTable("inet", "weft_s").find("0x00000001 : 0x00000300"), std::string::npos);
    expectAdoptedUnchanged(t);
}

TEST_F(SetsTest, TimeoutSets) {
    NftEngine e(NftEngine::Options{false});
    auto s = set("recent", DataType::Ipv4Addr, false);
    s.timeout = std::chrono::seconds(3600);
    s.elements = {Element{*Prefix::parse("192.0.2.1/32"), {}}};
    ASSERT_TRUE(e.apply("probe", {withSet(s)}).ok());
    auto text = listTable("inet", "weft_s");
    EXPECT_NE(text.find("timeout 1h"), std::string::npos) << text;
    EXPECT_NE(text.find("192.0.2.1 expires"), std::string::npos) << text;
    expectAdoptedUnchanged(withSet(s));
}

TEST_F(SetsTest, DefinitionChangeRecreatesSetAndItsUsers) {
    NftEngine e(NftEngine::Options{false});
    auto t = sampleTable("weft_s");
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    t.sets[0].interval = false;
    t.sets[0].elements = {Element{*Prefix::parse("10.1.2.3/32"), {}}};
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = listTable("inet", "weft_s");
    EXPECT_EQ(text.find("flags interval"), std::string::npos) << text;
    EXPECT_NE(text.find("elements = { 10.1.2.3 }"), std::string::npos) << text;
    EXPECT_NE(text.find("ip daddr @dst4 counter"), std::string::npos) << text;
    EXPECT_EQ(e.apply("probe", {t}).changes, 0u);
    expectAdoptedUnchanged(t);
    // Removing a set together with its only user.
    t.sets.clear();
    t.chains[0].rules.clear();
    r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(listTable("inet", "weft_s").find("set dst4"), std::string::npos);
}

TEST_F(SetsTest, OverlappingIntervalsAreRefusedNamingBoth) {
    NftEngine e(NftEngine::Options{false});
    auto s = set("dst", DataType::Ipv4Addr, true);
    s.elements = {Element{*Prefix::parse("10.0.0.0/8"), {}},
                  Element{*Prefix::parse("10.1.0.0/16"), {}}};
    auto r = e.apply("probe", {withSet(s)});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.errors[0].find("set dst: elements 10.0.0.0/8 and 10.1.0.0/16 overlap"),
              std::string::npos)
        << r.errors[0];
    EXPECT_EQ(listTable("inet", "weft_s"), "") << "nothing was sent";
    // The same for an element added to a set already in the kernel; it stays as it was.
    s.elements.erase(*Prefix::parse("10.1.0.0/16"));
    s.elements.insert(Element{*Prefix::parse("192.168.0.0/16"), {}});
    ASSERT_TRUE(e.apply("probe", {withSet(s)}).ok());
    s.elements.insert(Element{*Prefix::parse("192.168.4.0/24"), {}});
    r = e.apply("probe", {withSet(s)});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.errors[0].find("192.168.0.0/16 and 192.168.4.0/24 overlap"), std::string::npos)
        << r.errors[0];
    EXPECT_EQ(listTable("inet", "weft_s").find("192.168.4.0"), std::string::npos);
    // Adjacent prefixes are not an overlap: the kernel keeps them apart, and so does weft.
    s.elements.erase(*Prefix::parse("192.168.4.0/24"));
    s.elements.insert(Element{*Prefix::parse("11.0.0.0/8"), {}});
    ASSERT_TRUE(e.apply("probe", {withSet(s)}).ok());
    EXPECT_NE(listTable("inet", "weft_s").find("10.0.0.0/8, 11.0.0.0/8"), std::string::npos)
        << listTable("inet", "weft_s");
    expectAdoptedUnchanged(withSet(s));
}

}  // namespace
}  // namespace weft::test
