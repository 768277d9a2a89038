// The reconnect schedule: 100 ms doubling to 5 s, each delay jittered within [base/2, base].
#include "backoff.hpp"

#include <gtest/gtest.h>

using std::chrono::milliseconds;
using weft::cluster::Backoff;

TEST(Backoff, DoublesToTheCapWithJitter) {
    const int64_t expected[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
    for (uint64_t seed = 1; seed <= 50; ++seed) {
        Backoff b(milliseconds(100), milliseconds(5000), seed);
        for (int64_t base : expected) {
            EXPECT_EQ(b.base().count(), base);
            auto d = b.next().count();
            EXPECT_GE(d, base / 2);
            EXPECT_LE(d, base);
        }
    }
}

TEST(Backoff, JitterSpreadsNodesApart) {
    // Two nodes that failed together should not retry in step (seeds differ per client).
    int same = 0;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        Backoff a(milliseconds(100), milliseconds(5000), seed);
        Backoff b(milliseconds(100), milliseconds(5000), seed + 1000);
        for (int i = 0; i < 6; ++i)
            same += a.next() == b.next();
    }
    EXPECT_LT(same, 20);  // of 120 draws
}

TEST(Backoff, ResetStartsOver) {
    Backoff b(milliseconds(100), milliseconds(5000), 7);
    for (int i = 0; i < 10; ++i)
        b.next();
    EXPECT_EQ(b.base().count(), 5000);
    b.reset();
    EXPECT_EQ(b.base().count(), 100);
    EXPECT_LE(b.next().count(), 100);
}
