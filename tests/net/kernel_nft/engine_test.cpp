// Tables, chains, ownership, atomicity and adoption, witnessed by the nft command line.
#include <gtest/gtest.h>

#include "nft_cli.hpp"

namespace weft::test {
namespace {

using namespace weft::nft;
using kernel::NftEngine;

class EngineTest : public ::testing::Test {
  protected:
    void SetUp() override { resetRuleset(); }
    void TearDown() override { resetRuleset(); }
    // A table listing without its header line (flags, owner's program name).
    static std::string body(const std::string& text) {
        auto pos = text.find("comment");
        return pos == std::string::npos ? text : text.substr(pos);
    }
    // Rule handles of one chain, in order, from `nft -a list chain`.
    static std::vector<std::string> handles(const std::string& table, const std::string& chain) {
        auto text = nft("-a list chain inet " + table + " " + chain);
        std::vector<std::string> out;
        size_t pos = text.find('\n', text.find("chain "));  // after the chain's own handle
        while ((pos = text.find("# handle ", pos)) != std::string::npos) {
            pos += 9;
            out.push_back(text.substr(pos, text.find('\n', pos) - pos));
        }
        return out;
    }
};

TEST_F(EngineTest, CreatesTaggedTableFromNothing) {
    NftEngine e;
    auto r = e.apply("probe", {sampleTable("weft_a")});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_GT(r.changes, 0u);
    auto text = listTable("inet", "weft_a");
    EXPECT_NE(text.find("comment \"weft:probe\""), std::string::npos) << text;
    EXPECT_NE(text.find("flags owner"), std::string::npos) << text;
    EXPECT_NE(text.find("elements = { 10.0.0.0/8, 192.168.1.0/24 }"), std::string::npos) << text;
    EXPECT_NE(text.find("type filter hook prerouting priority mangle; policy accept;"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("ip daddr @dst4 counter packets 0 bytes 0 jump tag comment \"steer\""),
              std::string::npos)
        << text;
    EXPECT_EQ(e.owners(), std::vector<std::string>{"probe"});
}

TEST_F(EngineTest, SecondApplyChangesNothingAndSendsNothing) {
    NftEngine e;
    ASSERT_TRUE(e.apply("probe", {sampleTable("weft_a")}).ok());
    auto before = nft("-a list ruleset");
    auto r = e.apply("probe", {sampleTable("weft_a")});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 0u);
    EXPECT_EQ(e.lastBatchStats().messages, 0u);
    EXPECT_EQ(nft("-a list ruleset"), before);
}

TEST_F(EngineTest, RuleChangeReplacesOnlyThatChain) {
    NftEngine e;
    auto t = sampleTable("weft_a");
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    auto preBefore = handles("weft_a", "pre");
    auto markBefore = handles("weft_a", "tag");
    t.chains[1].rules.push_back(Rule{}.mark(Mark{0x20, 0x60}).accept());
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(handles("weft_a", "pre"), preBefore);  // untouched chain keeps its rules
    auto markAfter = handles("weft_a", "tag");
    ASSERT_EQ(markAfter.size(), 2u);
    EXPECT_NE(markAfter[0], markBefore[0]);  // flushed and re-added in the same batch
    // flush + 2 rules
    EXPECT_EQ(e.lastBatchStats().messages, 3u);
    EXPECT_NE(listTable("inet", "weft_a").find("meta mark & 0x00000060 == 0x00000020 accept"),
              std::string::npos);
}

TEST_F(EngineTest, BaseChainChangeRecreatesChainWithRules) {
    NftEngine e;
    auto t = sampleTable("weft_a");
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    t.chains[0].base->priority = 10;
    t.chains[0].base->policy = Verdict::Drop;
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = listTable("inet", "weft_a");
    EXPECT_NE(text.find("hook prerouting priority filter + 10; policy drop;"), std::string::npos)
        << text;
    EXPECT_NE(text.find("jump tag comment \"steer\""), std::string::npos) << text;
    EXPECT_EQ(e.apply("probe", {t}).changes, 0u);
}

TEST_F(EngineTest, TablesNoLongerDesiredAreDeleted) {
    NftEngine e;
    ASSERT_TRUE(e.apply("probe", {sampleTable("weft_a"), sampleTable("weft_b")}).ok());
    auto r = e.apply("probe", {sampleTable("weft_b")});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 1u);
    EXPECT_EQ(listTable("inet", "weft_a"), "");
    EXPECT_NE(listTable("inet", "weft_b"), "");
    // Another owner's tables are not this owner's to delete.
    ASSERT_TRUE(e.apply("other", {sampleTable("weft_c")}).ok());
    ASSERT_TRUE(e.apply("probe", {}).ok());
    EXPECT_EQ(listTable("inet", "weft_b"), "");
    EXPECT_NE(listTable("inet", "weft_c"), "");
    ASSERT_TRUE(e.removeOwner("other").ok());
    EXPECT_EQ(listTable("inet", "weft_c"), "");
    EXPECT_TRUE(e.owners().empty());
}

TEST_F(EngineTest, ForeignTablesSurviveEverything) {
    nft("add table inet foreign");
    nft("add chain inet foreign input '{ type filter hook input priority 0; }'");
    nft("add rule inet foreign input tcp dport 22 accept");
    auto foreign = listTable("inet", "foreign");
    ASSERT_NE(foreign, "");
    {
        NftEngine e;
        auto t = sampleTable("weft_a");
        ASSERT_TRUE(e.apply("probe", {t}).ok());
        t.chains[1].rules.clear();
        t.sets[0].elements.erase(*Prefix::parse("192.168.1.0/24"));
        ASSERT_TRUE(e.apply("probe", {t}).ok());
        ASSERT_TRUE(e.apply("probe", {}).ok());
        ASSERT_TRUE(e.removeOwner("probe").ok());
        EXPECT_EQ(e.owners(), std::vector<std::string>{});
    }
    EXPECT_EQ(listTable("inet", "foreign"), foreign);
}

TEST_F(EngineTest, ForeignTableWithDesiredNameIsRefused) {
    nft("add table inet weft_a");
    nft("add chain inet weft_a c");
    auto foreign = listTable("inet", "weft_a");
    NftEngine e;
    auto r = e.apply("probe", {sampleTable("weft_a"), sampleTable("weft_b")});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("table inet weft_a"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[0].find("is not probe's"), std::string::npos) << r.errors[0];
    EXPECT_EQ(listTable("inet", "weft_a"), foreign);
    EXPECT_EQ(listTable("inet", "weft_b"), "");  // the whole change is refused
    // Nor is it deleted as "no longer desired".
    EXPECT_TRUE(e.apply("probe", {}).ok());
    EXPECT_EQ(listTable("inet", "weft_a"), foreign);
}

TEST_F(EngineTest, KernelErrorRollsBackAndNamesTheObject) {
    NftEngine e;
    auto t = sampleTable("weft_a");
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    auto before = nft("-a list ruleset");
    auto bad = t;
    bad.sets[0].elements.push_back(Element{*Prefix::parse("172.16.0.0/12"), {}});
    bad.chains.push_back(Chain{"extra", std::nullopt, {Rule{}.accept()}});
    bad.chains[1].rules.push_back(Rule{}.jump("nosuchchain").withComment("broken"));
    auto r = e.apply("probe", {bad});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.changes, 0u);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("chain inet weft_a tag"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[0].find("jump nosuchchain"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[0].find("No such file or directory"), std::string::npos) << r.errors[0];
    EXPECT_EQ(nft("-a list ruleset"), before);
    // The engine did not believe the failed batch: the good state still converges to no-op,
    // and a corrected state applies.
    EXPECT_EQ(e.apply("probe", {t}).changes, 0u);
    bad.chains[1].rules.pop_back();
    auto ok = e.apply("probe", {bad});
    EXPECT_TRUE(ok.ok()) << ok.errors[0];
    EXPECT_NE(listTable("inet", "weft_a").find("172.16.0.0/12"), std::string::npos);
}

TEST_F(EngineTest, WrongElementLengthIsAnErrorNamingTheSet) {
    NftEngine e;
    auto t = sampleTable("weft_a");
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    auto before = nft("-a list ruleset");
    t.sets[0].elements.push_back(Element{*Prefix::parse("2001:db8::/32"), {}});
    t.chains[1].rules.clear();
    auto r = e.apply("probe", {t});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.errors[0].find("set inet weft_a dst4"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[0].find("2001:db8::/32"), std::string::npos) << r.errors[0];
    EXPECT_EQ(nft("-a list ruleset"), before);
}

TEST_F(EngineTest, FreshEngineAdoptsByDiff) {
    auto t = sampleTable("weft_a");
    for (bool owner : {false, true}) {
        resetRuleset();
        {
            NftEngine first(NftEngine::Options{owner});
            ASSERT_TRUE(first.apply("probe", {t}).ok());
        }
        auto before = body(nft("-a list table inet weft_a"));
        NftEngine second(NftEngine::Options{owner});
        auto r = second.apply("probe", {t});
        ASSERT_TRUE(r.ok()) << r.errors[0];
        EXPECT_EQ(r.changes, 0u) << "owner flag " << owner;
        // Without the owner flag adoption sends nothing; with it, only the table (re-owning).
        EXPECT_EQ(second.lastBatchStats().messages, owner ? 1u : 0u);
        // Same handles: nothing was re-made (the header's flags show the new owner).
        EXPECT_EQ(body(nft("-a list table inet weft_a")), before);
        if (owner) {
            EXPECT_NE(nft("list table inet weft_a").find("flags owner"), std::string::npos);
        }
        // And it converges a change by diff.
        auto t2 = t;
        t2.sets[0].elements.push_back(Element{*Prefix::parse("172.16.0.0/12"), {}});
        r = second.apply("probe", {t2});
        ASSERT_TRUE(r.ok()) << r.errors[0];
        EXPECT_EQ(r.changes, 1u);
        EXPECT_EQ(second.lastBatchStats().messages, 1u);
    }
}

TEST_F(EngineTest, OwnedPersistentTableOutlivesTheEngine) {
    auto t = sampleTable("weft_a");
    {
        NftEngine e;
        ASSERT_TRUE(e.apply("probe", {t}).ok());
        // While the engine's socket lives, nobody else may change or delete the table.
        auto r = sh("nft delete table inet weft_a");
        EXPECT_NE(r.status, 0);
        EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
        r = sh("nft add element inet weft_a dst4 '{ 1.2.3.4 }'");
        EXPECT_NE(r.status, 0) << r.out;
        // "flush ruleset" skips it.
        sh("nft flush ruleset");
        EXPECT_NE(listTable("inet", "weft_a"), "");
    }
    auto text = listTable("inet", "weft_a");
    ASSERT_NE(text, "") << "the table died with its owner";
    EXPECT_NE(text.find("10.0.0.0/8"), std::string::npos);
    // A new engine takes it over and converges it.
    NftEngine e2;
    t.sets[0].elements.erase(*Prefix::parse("192.168.1.0/24"));
    auto r = e2.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 1u);
    EXPECT_EQ(listTable("inet", "weft_a").find("192.168.1.0/24"), std::string::npos);
    EXPECT_NE(sh("nft delete table inet weft_a").status, 0);  // owned again
}

// The kernel cannot add or drop the persist flag of a live table: changing the owner option
// re-creates the table, in one transaction.
TEST_F(EngineTest, OwnerOptionChangeRecreatesTheTable) {
    auto t = sampleTable("weft_a");
    {
        NftEngine plain(NftEngine::Options{false});
        ASSERT_TRUE(plain.apply("probe", {t}).ok());
    }
    {
        NftEngine owning;
        auto r = owning.apply("probe", {t});
        ASSERT_TRUE(r.ok()) << r.errors[0];
        EXPECT_GT(r.changes, 1u);
        EXPECT_NE(listTable("inet", "weft_a").find("flags owner"), std::string::npos);
        EXPECT_NE(sh("nft delete table inet weft_a").status, 0);
        EXPECT_EQ(owning.apply("probe", {t}).changes, 0u);
    }
    NftEngine plain(NftEngine::Options{false});
    auto r = plain.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_GT(r.changes, 1u);
    EXPECT_EQ(listTable("inet", "weft_a").find("flags"),
              listTable("inet", "weft_a").find("flags interval"));
    EXPECT_EQ(plain.apply("probe", {t}).changes, 0u);
    EXPECT_EQ(sh("nft delete table inet weft_a").status, 0);
}

TEST_F(EngineTest, InvalidateRereadsForeignChanges) {
    NftEngine e(NftEngine::Options{false});
    auto t = sampleTable("weft_a");
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    nft("flush chain inet weft_a tag");
    nft("delete element inet weft_a dst4 '{ 10.0.0.0/8 }'");
    EXPECT_EQ(e.apply("probe", {t}).changes, 0u);  // the cache believes itself
    e.invalidate("weft_a");
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 2u);  // one element, one chain refill (a rule)
    auto text = listTable("inet", "weft_a");
    EXPECT_NE(text.find("10.0.0.0/8"), std::string::npos) << text;
    EXPECT_NE(text.find("comment \"set\""), std::string::npos) << text;
}

TEST_F(EngineTest, CountersOfCountingRules) {
    NftEngine e;
    ASSERT_TRUE(e.apply("probe", {sampleTable("weft_a")}).ok());
    auto c = e.counters("probe");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].table, "weft_a");
    EXPECT_EQ(c[0].chain, "pre");
    EXPECT_EQ(c[0].comment, "steer");
    EXPECT_EQ(c[0].packets, 0u);
    EXPECT_TRUE(e.counters("nobody").empty());
}

}  // namespace
}  // namespace weft::test
