// The engine keeps the last desired view of each table and, while its cache holds what it last
// applied, diffs only what changed since. These tests check that the shortcut never hides a
// change: in one chain among many, in a chain renamed, in sets, and in a kernel that drifted.
#include <gtest/gtest.h>

#include "nft_cli.hpp"

namespace weft::test {
namespace {

using namespace weft::nft;
using kernel::NftEngine;

constexpr int kChains = 150;

std::string polName(int k) {
    return "pol_" + std::to_string(k);
}

// Policy k's rules; `port` is its port rule's.
std::vector<Rule> polRules(int k, uint16_t port) {
    return {Rule{}.family(Family::V4).saddrIn(Family::V4, "src_" + std::to_string(k)).accept(),
            Rule{}.l4proto(6).dport({port, port}).counter().accept(),
            Rule{}.mark(Mark{uint32_t(k), 0xffff}).drop().withComment("pol " + std::to_string(k))};
}

// A table with a base chain jumping to kChains policy chains, each with a set of its own.
Table manyChains() {
    Table t;
    t.name = "weft_many";
    Chain fwd{"dispatch", BaseChain{ChainType::Filter, Hook::Forward, 0, Verdict::Accept}, {}};
    for (int k = 0; k < kChains; ++k) {
        Set s;
        s.name = "src_" + std::to_string(k);
        s.elements = {Element{*Prefix::parse("10.1." + std::to_string(k) + ".1/32"), {}}};
        t.sets.push_back(s);
        fwd.rules.push_back(Rule{}.mark(Mark{uint32_t(k), 0xffff}).jump(polName(k)));
    }
    t.chains.push_back(fwd);
    for (int k = 0; k < kChains; ++k)
        t.chains.push_back(Chain{polName(k), std::nullopt, polRules(k, uint16_t(1000 + k))});
    return t;
}

// A chain's rules as nft lists them, without handles or the chain's name.
std::string rulesOf(const std::string& chain) {
    auto text = nft("list chain inet weft_many " + chain);
    return text.substr(text.find('{', text.find("chain ")));
}

class ChainCacheTest : public ::testing::Test {
  protected:
    void SetUp() override { resetRuleset(); }
    void TearDown() override { resetRuleset(); }
    // Applies and checks that it succeeded; returns the number of messages sent.
    static size_t apply(NftEngine& e, const Table& t) {
        auto r = e.apply("cache", {t});
        EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0]);
        return e.lastBatchMessages();
    }
};

TEST_F(ChainCacheTest, ChangedRuleAmongManyChainsIsSentAfterManyNoChangeApplies) {
    NftEngine e;
    auto t = manyChains();
    ASSERT_GT(apply(e, t), 0u);
    for (int i = 0; i < 30; ++i)
        ASSERT_EQ(apply(e, t), 0u) << "no-change apply " << i;
    auto& chain = t.chains[1 + 97];
    chain.rules[1] = Rule{}.l4proto(6).dport({4242, 4242}).counter().accept();
    EXPECT_EQ(apply(e, t), 1u + 3u);  // a flush of pol_97 and its 3 rules
    EXPECT_NE(rulesOf("pol_97").find("tcp dport 4242"), std::string::npos) << rulesOf("pol_97");
    EXPECT_EQ(rulesOf("pol_97").find("tcp dport 1097"), std::string::npos);
    EXPECT_EQ(apply(e, t), 0u);
    // Back to the first content: the kept view followed the change, so this is one again.
    chain.rules = polRules(97, 1097);
    EXPECT_EQ(apply(e, t), 1u + 3u);
    EXPECT_NE(rulesOf("pol_97").find("tcp dport 1097"), std::string::npos);
    // A change that only a typed compare sees: the comment of the last rule of one chain.
    t.chains[1 + 3].rules[2].comment = "pol 3 edited";
    EXPECT_EQ(apply(e, t), 1u + 3u);
    EXPECT_NE(rulesOf("pol_3").find("comment \"pol 3 edited\""), std::string::npos);
    // A rule appended to the base chain, and a rule removed from another chain, at once.
    t.chains[0].rules.push_back(Rule{}.drop());
    t.chains[1 + 120].rules.pop_back();
    EXPECT_EQ(apply(e, t), 2u + kChains + 1u + 2u);
    EXPECT_EQ(count(rulesOf("pol_120"), "\n\t\t"), 2u) << rulesOf("pol_120");
    EXPECT_EQ(apply(e, t), 0u);
}

TEST_F(ChainCacheTest, ChainReplacedByEqualContentChainOfAnotherName) {
    NftEngine e;
    auto t = manyChains();
    ASSERT_GT(apply(e, t), 0u);
    ASSERT_EQ(apply(e, t), 0u);
    auto before = rulesOf("pol_40");
    // pol_40 becomes "moved_40" with the same rules, at the end of the list; the jump follows.
    auto moved = t.chains[1 + 40];
    moved.name = "moved_40";
    t.chains.erase(t.chains.begin() + 1 + 40);
    t.chains.push_back(moved);
    t.chains[0].rules[40] = Rule{}.mark(Mark{40, 0xffff}).jump("moved_40");
    EXPECT_GT(apply(e, t), 0u);
    EXPECT_EQ(count(listTable("inet", "weft_many"), "chain pol_40 {"), 0u);
    EXPECT_EQ(rulesOf("moved_40"), before);
    EXPECT_NE(rulesOf("moved_40").find("tcp dport 1040"), std::string::npos);
    EXPECT_NE(rulesOf("moved_40").find("comment \"pol 40\""), std::string::npos);
    EXPECT_NE(rulesOf("dispatch").find("jump moved_40"), std::string::npos);
    EXPECT_EQ(apply(e, t), 0u);
    // And back, with a rule of the renamed chain changed in the same apply.
    t.chains.pop_back();
    t.chains.insert(t.chains.begin() + 1 + 40, Chain{"pol_40", std::nullopt, polRules(40, 7)});
    t.chains[0].rules[40] = Rule{}.mark(Mark{40, 0xffff}).jump("pol_40");
    EXPECT_GT(apply(e, t), 0u);
    EXPECT_NE(rulesOf("pol_40").find("tcp dport 7 "), std::string::npos) << rulesOf("pol_40");
    EXPECT_EQ(count(listTable("inet", "weft_many"), "chain moved_40 {"), 0u);
    EXPECT_EQ(apply(e, t), 0u);
}

TEST_F(ChainCacheTest, SetChangesAmongManySetsAreSent) {
    NftEngine e;
    auto t = manyChains();
    ASSERT_GT(apply(e, t), 0u);
    ASSERT_EQ(apply(e, t), 0u);
    t.sets[77].elements.insert(Element{*Prefix::parse("10.9.9.9/32"), {}});
    EXPECT_EQ(apply(e, t), 1u);  // one element added
    EXPECT_NE(nft("list set inet weft_many src_77").find("10.9.9.9"), std::string::npos);
    EXPECT_EQ(apply(e, t), 0u);
    // A set that goes while its only user's rule goes too.
    t.sets.erase(t.sets.begin() + 5);
    t.chains[1 + 5].rules.erase(t.chains[1 + 5].rules.begin());
    EXPECT_GT(apply(e, t), 0u);
    EXPECT_EQ(nft("list sets inet").find("src_5 "), std::string::npos);
    EXPECT_EQ(rulesOf("pol_5").find("@src_5"), std::string::npos);
    EXPECT_EQ(apply(e, t), 0u);
}

TEST_F(ChainCacheTest, DriftIsRepairedAfterInvalidate) {
    // Without the owner flag, so that nft may delete a rule while the engine lives.
    NftEngine e(NftEngine::Options{false});
    auto t = manyChains();
    ASSERT_GT(apply(e, t), 0u);
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(apply(e, t), 0u);
    auto before = rulesOf("pol_63");
    auto text = nft("-a list chain inet weft_many pol_63");
    auto at = text.find("# handle ", text.find("tcp dport"));
    ASSERT_NE(at, std::string::npos) << text;
    auto handle = text.substr(at + 9, text.find('\n', at) - at - 9);
    nft("delete rule inet weft_many pol_63 handle " + handle);
    ASSERT_EQ(rulesOf("pol_63").find("tcp dport"), std::string::npos);
    e.invalidate("weft_many");        // what the monitor does when it sees a foreign change
    EXPECT_EQ(apply(e, t), 1u + 3u);  // pol_63 flushed and refilled, nothing else
    EXPECT_EQ(rulesOf("pol_63"), before);
    EXPECT_EQ(apply(e, t), 0u);
}

}  // namespace
}  // namespace weft::test
