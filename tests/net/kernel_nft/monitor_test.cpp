// Drift detection: changes by others are reported, the engine's own are not.
#include <gtest/gtest.h>

#include "kernel/nft/nft_monitor.hpp"
#include "nft_cli.hpp"

namespace weft::test {
namespace {

using kernel::NftEngine;
using kernel::NftMonitor;

class MonitorTest : public ::testing::Test {
  protected:
    void SetUp() override { resetRuleset(); }
    void TearDown() override { resetRuleset(); }
};

TEST_F(MonitorTest, ReportsForeignChangesAndIgnoresOwn) {
    // Without the owner flag, so that others can change the table at all.
    NftEngine e(NftEngine::Options{false});
    ASSERT_TRUE(e.apply("probe", {sampleTable("weft_m"), sampleTable("weft_n")}).ok());
    NftMonitor mon(e.portId());
    EXPECT_GE(mon.fd(), 0);
    EXPECT_TRUE(mon.drain().empty());

    auto t = sampleTable("weft_m");
    t.sets[0].elements.erase(*Prefix::parse("192.168.1.0/24"));
    ASSERT_TRUE(e.apply("probe", {t, sampleTable("weft_n")}).ok());
    EXPECT_TRUE(mon.drain().empty()) << "our own change was reported";

    nft("flush chain inet weft_m tag");
    EXPECT_EQ(mon.drain(), std::vector<std::string>{"weft_m"});
    nft("delete table inet weft_n");
    EXPECT_EQ(mon.drain(), std::vector<std::string>{"weft_n"});

    // Foreign tables are none of our business.
    nft("add table inet foreign");
    nft("add chain inet foreign c");
    EXPECT_TRUE(mon.drain().empty());

    // Repair is ours again; a table created after the monitor started is watched too.
    e.invalidate();
    ASSERT_TRUE(e.apply("probe", {t, sampleTable("weft_n"), sampleTable("weft_o")}).ok());
    EXPECT_TRUE(mon.drain().empty());
    nft("delete element inet weft_o dst4 '{ 10.0.0.0/8 }'");
    EXPECT_EQ(mon.drain(), std::vector<std::string>{"weft_o"});
}

}  // namespace
}  // namespace weft::test
