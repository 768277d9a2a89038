// ConntrackTable::countByMark against the kernel: grouping under a mask, by family, and that
// counting changes nothing.
#include <gtest/gtest.h>

#include <map>

#include "ct_cli.hpp"
#include "kernel/conntrack/conntrack_table.hpp"
#include "test_flows.hpp"

using namespace weft;
using namespace weft::test;

namespace {

using Counts = std::map<uint32_t, uint64_t>;

class CountByMark : public ::testing::Test {
  protected:
    void SetUp() override {
        flushFlows();
        insertFlows(sampleFlows());
        ASSERT_EQ(countFlows(), sampleFlows().size());
    }
    void TearDown() override { flushFlows(); }
    kernel::ConntrackTable table;
};

// Marks: t4a 0x10, t4b 0x21, u4a 0x30, u4b 0x11, i4 0x10, t6 0x10, u6 0x12, i6 0.

TEST_F(CountByMark, WholeMark) {
    EXPECT_EQ(table.countByMark(0xffffffff, std::nullopt),
              (Counts{{0x0, 1}, {0x10, 3}, {0x11, 1}, {0x12, 1}, {0x21, 1}, {0x30, 1}}));
}

TEST_F(CountByMark, UnderAPartialMask) {
    EXPECT_EQ(table.countByMark(0xf0, std::nullopt),
              (Counts{{0x00, 1}, {0x10, 5}, {0x20, 1}, {0x30, 1}}));
    EXPECT_EQ(table.countByMark(0x0f, std::nullopt), (Counts{{0x0, 5}, {0x1, 2}, {0x2, 1}}));
    EXPECT_EQ(table.countByMark(0, std::nullopt), (Counts{{0x0, 8}}));
}

TEST_F(CountByMark, OfOneFamily) {
    EXPECT_EQ(table.countByMark(0xf0, Family::V6), (Counts{{0x00, 1}, {0x10, 2}}));
    EXPECT_EQ(table.countByMark(0x0f, Family::V4), (Counts{{0x0, 3}, {0x1, 2}}));
    EXPECT_EQ(table.countByMark(0xffffffff, Family::V4),
              (Counts{{0x10, 2}, {0x11, 1}, {0x21, 1}, {0x30, 1}}));
}

TEST_F(CountByMark, CountingLeavesTheTableAlone) {
    table.countByMark(0xff, std::nullopt);
    EXPECT_EQ(countFlows(), sampleFlows().size());
}

TEST_F(CountByMark, FollowsDeletions) {
    FlowFilter f;
    f.ctMark = Mark{0x10, 0xff};
    EXPECT_EQ(table.deleteFlows(f), 3u);
    EXPECT_EQ(table.countByMark(0xf0, std::nullopt),
              (Counts{{0x00, 1}, {0x10, 2}, {0x20, 1}, {0x30, 1}}));
    flushFlows();
    EXPECT_EQ(table.countByMark(0xff, std::nullopt), Counts{});
}

}  // namespace
