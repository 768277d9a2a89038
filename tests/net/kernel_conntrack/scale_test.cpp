// A table of thousands of flows: deleting half of them must take well under a second
// (deletions go in batches, not one round trip each).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "ct_cli.hpp"
#include "kernel/conntrack/conntrack_table.hpp"

using namespace weft;
using namespace weft::test;

namespace {

constexpr size_t kFlows = 5000;

// kFlows TCP flows from distinct sources: even ones to port 80 with mark 0x20, odd ones to
// port 443 with mark 0x10.
std::vector<std::string> manyFlows() {
    std::vector<std::string> lines;
    for (size_t i = 0; i < kFlows; ++i) {
        bool odd = i % 2;
        lines.push_back("-s 10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
                        " -d 10.2.0.1 -p tcp --sport " + std::to_string(1024 + i) + " --dport " +
                        (odd ? "443" : "80") + " --state ESTABLISHED -u ASSURED -t 300 -m " +
                        (odd ? "0x10" : "0x20"));
    }
    return lines;
}

class Scale : public ::testing::Test {
  protected:
    void SetUp() override {
        flushFlows();
        insertFlows(manyFlows());
        ASSERT_EQ(countFlows(), kFlows);
    }
    void TearDown() override { flushFlows(); }

    // Runs `work`, returning its duration in milliseconds.
    template <typename Work>
    static double timed(Work&& work) {
        auto start = std::chrono::steady_clock::now();
        work();
        std::chrono::duration<double, std::milli> d = std::chrono::steady_clock::now() - start;
        return d.count();
    }

    kernel::ConntrackTable table;
};

TEST_F(Scale, DeletingHalfByMarkIsFast) {
    FlowFilter f;
    f.ctMark = Mark{0x10, 0xff};
    uint64_t deleted = 0;
    double ms = timed([&] { deleted = table.deleteFlows(f); });
    std::printf("deleted %llu of %zu flows by mark in %.1f ms\n", (unsigned long long)deleted,
                kFlows, ms);
    EXPECT_EQ(deleted, kFlows / 2);
    EXPECT_LT(ms, 2000.0);
    EXPECT_EQ(countFlows(), kFlows / 2);
    EXPECT_EQ(countFlows("-m 0x20"), kFlows / 2);
}

TEST_F(Scale, DeletingHalfByPortIsFast) {
    // The kernel cannot filter ports on a dump: every flow is checked here.
    FlowFilter f;
    f.destinationPort = PortRange{80, 80};
    uint64_t deleted = 0;
    double ms = timed([&] { deleted = table.deleteFlows(f); });
    std::printf("deleted %llu of %zu flows by port in %.1f ms\n", (unsigned long long)deleted,
                kFlows, ms);
    EXPECT_EQ(deleted, kFlows / 2);
    EXPECT_LT(ms, 2000.0);
    EXPECT_EQ(countFlows("-p tcp --dport 443"), kFlows / 2);
    EXPECT_EQ(countFlows("-p tcp --dport 80"), 0u);
}

TEST_F(Scale, CountingIsFast) {
    std::map<uint32_t, uint64_t> counts;
    double ms = timed([&] { counts = table.countByMark(0xff, std::nullopt); });
    std::printf("counted %zu flows in %.1f ms\n", kFlows, ms);
    EXPECT_EQ(counts, (std::map<uint32_t, uint64_t>{{0x10, kFlows / 2}, {0x20, kFlows / 2}}));
    EXPECT_LT(ms, 1000.0);
}

}  // namespace
