// Issue 15 item 12: a "weft:<owner>" comment is not ownership. A table somebody made by hand
// with the owner's tag survives apply, removeOwner and a fresh engine (weftd restarted); only
// what the engine applied itself or what weft's record names is deleted.
#include <gtest/gtest.h>

#include "nft_cli.hpp"

namespace weft::test {
namespace {

using kernel::NftEngine;

class OwnershipTest : public ::testing::Test {
  protected:
    void SetUp() override {
        resetRuleset();
        nft("add table inet handmade '{ comment \"weft:probe\"; }'");
        nft("add chain inet handmade c");
        handmade = listTable("inet", "handmade");
        ASSERT_NE(handmade.find("comment \"weft:probe\""), std::string::npos) << handmade;
    }
    void TearDown() override { resetRuleset(); }
    bool handmadeIntact() const { return listTable("inet", "handmade") == handmade; }

    std::string handmade;
};

TEST_F(OwnershipTest, ApplyDeletesOnlyTablesItApplied) {
    NftEngine e;
    ASSERT_TRUE(e.apply("probe", {sampleTable("weft_a"), sampleTable("weft_b")}).ok());
    EXPECT_TRUE(handmadeIntact());
    auto r = e.apply("probe", {sampleTable("weft_b")});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 1u);  // weft_a only
    EXPECT_EQ(listTable("inet", "weft_a"), "");
    ASSERT_TRUE(e.apply("probe", {}).ok());
    EXPECT_EQ(listTable("inet", "weft_b"), "");
    EXPECT_TRUE(handmadeIntact());
}

TEST_F(OwnershipTest, RemoveOwnerLeavesTheHandmadeTable) {
    NftEngine e;
    ASSERT_TRUE(e.apply("probe", {sampleTable("weft_a")}).ok());
    auto r = e.removeOwner("probe");
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 1u);
    EXPECT_EQ(listTable("inet", "weft_a"), "");
    EXPECT_TRUE(handmadeIntact());
    // Even when the record names every table weft ever leased.
    EXPECT_TRUE(e.removeOwner("probe", {"weft_a", "weft_b"}).ok());
    EXPECT_TRUE(handmadeIntact());
}

// After a restart the engine knows nothing; the record (which outlives weftd) says what is
// weft's: what it names goes, what it does not name stays.
TEST_F(OwnershipTest, AFreshEngineDeletesWhatTheRecordNamesAndNothingElse) {
    for (bool owner : {false, true}) {
        {
            NftEngine first(NftEngine::Options{owner});
            ASSERT_TRUE(first.apply("probe", {sampleTable("weft_a"), sampleTable("weft_b")}).ok());
        }
        NftEngine second(NftEngine::Options{owner});
        EXPECT_TRUE(second.apply("probe", {}).ok());  // nothing recorded: nothing deleted
        EXPECT_NE(listTable("inet", "weft_a"), "") << "owner flag " << owner;
        EXPECT_TRUE(second.removeOwner("probe").ok());
        EXPECT_NE(listTable("inet", "weft_b"), "") << "owner flag " << owner;
        auto r = second.apply("probe", {}, {"weft_a"});
        ASSERT_TRUE(r.ok()) << r.errors[0];
        EXPECT_EQ(listTable("inet", "weft_a"), "") << "owner flag " << owner;
        EXPECT_NE(listTable("inet", "weft_b"), "") << "owner flag " << owner;
        r = second.removeOwner("probe", {"weft_b"});
        ASSERT_TRUE(r.ok()) << r.errors[0];
        EXPECT_EQ(listTable("inet", "weft_b"), "") << "owner flag " << owner;
        EXPECT_TRUE(handmadeIntact()) << "owner flag " << owner;
    }
}

// weftd.conf's NftablesOwnerFlag= changed by a reload: the same engine re-creates its tables.
TEST_F(OwnershipTest, OwnerFlagSwitchedOnALiveEngineRecreatesTheTables) {
    auto t = sampleTable("weft_a");
    NftEngine e;
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    ASSERT_NE(listTable("inet", "weft_a").find("flags owner"), std::string::npos);
    e.setOwnerFlag(false);
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_GT(r.changes, 1u);
    EXPECT_EQ(listTable("inet", "weft_a").find("flags owner"), std::string::npos);
    EXPECT_EQ(e.apply("probe", {t}).changes, 0u);
    e.setOwnerFlag(true);
    r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto text = listTable("inet", "weft_a");
    EXPECT_NE(text.find("flags owner"), std::string::npos) << text;
    EXPECT_NE(text.find("10.0.0.0/8"), std::string::npos) << text;
    EXPECT_NE(sh("nft delete table inet weft_a").status, 0);  // owned again
    EXPECT_EQ(e.apply("probe", {t}).changes, 0u);
    EXPECT_TRUE(handmadeIntact());
}

}  // namespace
}  // namespace weft::test
