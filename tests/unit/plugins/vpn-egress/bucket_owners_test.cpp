// BucketOwners: the spread by weight, and the fewest moves when gateways go down and up.
// The expectations are counted from the owners before and after, not from shares().
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "bucket_owners.hpp"

namespace weft::egress {
namespace {

using Weights = std::map<std::string, uint32_t>;

// Buckets whose owner differs between two snapshots.
std::vector<uint32_t> changed(const std::vector<std::string>& before,
                              const std::vector<std::string>& after) {
    std::vector<uint32_t> out;
    for (uint32_t b = 0; b < before.size(); ++b) {
        if (before[b] != after[b])
            out.push_back(b);
    }
    return out;
}

// Each healthy gateway holds its weight's share within one bucket, and nobody else holds any.
void expectSpreadByWeight(const BucketOwners& o, const Weights& healthy) {
    double total = 0;
    for (auto& [n, w] : healthy)
        total += w;
    uint32_t owned = 0;
    for (auto& [name, n] : o.counts()) {
        ASSERT_TRUE(healthy.count(name)) << name << " owns buckets but is not healthy";
        EXPECT_LT(std::abs(double(n) - o.size() * healthy.at(name) / total), 1.0) << name;
        owned += n;
    }
    EXPECT_EQ(owned, healthy.empty() ? 0 : o.size()) << "every bucket owned";
}

TEST(BucketOwners, InitialSpreadFollowsTheWeights) {
    BucketOwners o(256);
    EXPECT_EQ(o.size(), 256u);
    for (uint32_t b = 0; b < o.size(); ++b)
        EXPECT_EQ(o.owner(b), "") << "nothing owned before the first rebalance";
    EXPECT_EQ(o.rebalance({{"a", 1}, {"b", 1}, {"c", 2}}), 256u);
    EXPECT_EQ(o.counts(), (std::map<std::string, uint32_t>{{"a", 64}, {"b", 64}, {"c", 128}}));
    for (uint32_t b = 0; b < o.size(); ++b)
        EXPECT_NE(o.owner(b), "") << "bucket " << b;
}

TEST(BucketOwners, SharesUseTheLargestRemainderTiesByName) {
    EXPECT_EQ(BucketOwners::shares(10, {{"b", 1}, {"a", 1}, {"c", 1}}),
              (Weights{{"a", 4}, {"b", 3}, {"c", 3}}));
    // 7 * 1/6 = 1.17, 7 * 2/6 = 2.33, 7 * 3/6 = 3.5: c's .5 is the largest remainder.
    EXPECT_EQ(BucketOwners::shares(7, {{"a", 1}, {"b", 2}, {"c", 3}}),
              (Weights{{"a", 1}, {"b", 2}, {"c", 4}}));
    EXPECT_TRUE(BucketOwners::shares(256, {}).empty());
}

TEST(BucketOwners, AGatewayDownMovesExactlyItsBucketsSpreadByWeight) {
    BucketOwners o(256);
    o.rebalance({{"a", 1}, {"b", 2}, {"c", 3}});
    auto before = o.owners();
    uint32_t cHad = o.counts().at("c");
    uint32_t moved = o.rebalance({{"a", 1}, {"b", 2}});
    auto diff = changed(before, o.owners());
    EXPECT_EQ(moved, cHad);
    EXPECT_EQ(diff.size(), cHad);
    for (uint32_t b : diff)
        EXPECT_EQ(before[b], "c") << "bucket " << b << " of a survivor moved";
    expectSpreadByWeight(o, {{"a", 1}, {"b", 2}});
}

TEST(BucketOwners, BackUpTakesItsShareOnlyFromThoseAboveTheirs) {
    BucketOwners o(256);
    o.rebalance({{"a", 1}, {"b", 1}, {"c", 2}});
    o.rebalance({{"a", 1}, {"b", 1}});
    ASSERT_EQ(o.counts(), (std::map<std::string, uint32_t>{{"a", 128}, {"b", 128}}));
    auto before = o.owners();
    uint32_t moved = o.rebalance({{"a", 1}, {"b", 1}, {"c", 2}});
    auto diff = changed(before, o.owners());
    // c owned nothing and is due 128: fewer than 128 moves cannot give it its share.
    EXPECT_EQ(moved, 128u);
    EXPECT_EQ(diff.size(), 128u);
    for (uint32_t b : diff)
        EXPECT_EQ(o.owner(b), "c") << "bucket " << b << " moved between survivors";
    EXPECT_EQ(o.counts(), (std::map<std::string, uint32_t>{{"a", 64}, {"b", 64}, {"c", 128}}));
}

TEST(BucketOwners, RebalanceWithTheSameGatewaysMovesNothing) {
    BucketOwners o(256);
    o.rebalance({{"a", 3}, {"b", 5}});
    auto before = o.owners();
    EXPECT_EQ(o.rebalance({{"a", 3}, {"b", 5}}), 0u);
    EXPECT_EQ(o.owners(), before);
}

TEST(BucketOwners, AWeightChangeMovesOnlyTheDifference) {
    BucketOwners o(256);
    o.rebalance({{"a", 1}, {"b", 1}});
    auto before = o.owners();
    EXPECT_EQ(o.rebalance({{"a", 3}, {"b", 1}}), 64u);  // 128/128 -> 192/64
    for (uint32_t b : changed(before, o.owners())) {
        EXPECT_EQ(before[b], "b");
        EXPECT_EQ(o.owner(b), "a");
    }
}

TEST(BucketOwners, AllDownLeavesNothingOwnedAndTheFirstUpTakesAll) {
    BucketOwners o(256);
    o.rebalance({{"a", 1}, {"b", 1}});
    EXPECT_EQ(o.rebalance({}), 0u) << "nothing is handed out";
    EXPECT_TRUE(o.counts().empty());
    for (uint32_t b = 0; b < o.size(); ++b)
        EXPECT_EQ(o.owner(b), "");
    EXPECT_EQ(o.rebalance({{"b", 1}}), 256u);
    EXPECT_EQ(o.counts(), (std::map<std::string, uint32_t>{{"b", 256}}));
}

// Random events on four gateways: a gateway going down moves only its buckets, one coming up
// takes only what it is due (so only from gateways above their share: everyone ends within one
// bucket of its exact share), and two instances fed the same events agree bucket by bucket.
TEST(BucketOwners, RandomEventsMoveOnlyWhatMustMoveAndAreDeterministic) {
    const Weights weights{{"p1", 1}, {"p2", 2}, {"p3", 3}, {"p4", 5}};
    std::mt19937 rng(20260101);
    for (uint32_t buckets : {256u, 1000u, 4096u}) {
        BucketOwners o(buckets), twin(buckets);
        Weights healthy;
        for (int step = 0; step < 200; ++step) {
            auto it = std::next(weights.begin(), long(rng() % weights.size()));
            const std::string& name = it->first;
            bool goingDown = healthy.count(name) > 0;
            if (goingDown)
                healthy.erase(name);
            else
                healthy[name] = it->second;
            auto before = o.owners();
            uint32_t moved = o.rebalance(healthy);
            twin.rebalance(healthy);
            ASSERT_EQ(o.owners(), twin.owners()) << "step " << step;
            auto diff = changed(before, o.owners());
            // rebalance() counts the buckets it handed to a new owner (none when all are down).
            ASSERT_EQ(moved, healthy.empty() ? 0 : diff.size()) << "step " << step;
            ASSERT_NO_FATAL_FAILURE(expectSpreadByWeight(o, healthy)) << "step " << step;
            for (uint32_t b : diff) {
                if (goingDown) {
                    ASSERT_EQ(before[b], name) << "step " << step << ": a survivor's bucket moved";
                } else {
                    ASSERT_EQ(o.owner(b), name) << "step " << step
                                                << ": a bucket moved between "
                                                   "gateways that were already up";
                }
            }
            if (!goingDown) {
                ASSERT_EQ(diff.size(), o.counts()[name]) << "the newcomer's share, no more";
            }
        }
    }
}

TEST(BucketOwners, RestoreTakesASavedOwnershipOfTheSameSize) {
    BucketOwners o(8);
    std::vector<std::string> saved{"a", "b", "a", "b", "a", "b", "a", "b"};
    EXPECT_FALSE(o.restore({"a", "b"}, {})) << "a different number of buckets";
    EXPECT_TRUE(o.counts().empty()) << "unchanged by a refused restore";
    EXPECT_TRUE(o.restore(saved, {{"a", 1}, {"b", 1}}));
    EXPECT_EQ(o.owners(), saved);
    EXPECT_EQ(o.counts(), (std::map<std::string, uint32_t>{{"a", 4}, {"b", 4}}));
    EXPECT_EQ(o.rebalance({{"a", 1}, {"b", 1}}), 0u) << "a restored balanced map stays";
    EXPECT_EQ(o.owners(), saved);
    // A restored owner that is gone loses its buckets to the healthy ones.
    EXPECT_TRUE(
        o.restore({"a", "b", "x", "b", "a", "b", "a", "x"}, {{"a", 1}, {"b", 1}, {"x", 1}}));
    EXPECT_EQ(o.rebalance({{"a", 1}, {"b", 1}}), 2u);
    EXPECT_EQ(o.owner(0), "a");
    EXPECT_EQ(o.owner(1), "b");
    EXPECT_EQ(o.counts(), (std::map<std::string, uint32_t>{{"a", 4}, {"b", 4}}));
}

// Largest-remainder shares are not monotonic in the set of gateways (the "new states"
// paradox): with weights a=1, b=6, c=200 on 256 buckets the shares are 1/8/247, without a
// 7/249. When a goes down, b still keeps its 8 buckets: a removal hands out only a's.
TEST(BucketOwners, SharesNeverShrinkForSurvivorsWhenAGatewayGoesDown) {
    BucketOwners o(256);
    o.rebalance({{"a", 1}, {"b", 6}, {"c", 200}});
    auto before = o.owners();
    o.rebalance({{"b", 6}, {"c", 200}});
    for (uint32_t b : changed(before, o.owners()))
        EXPECT_EQ(before[b], "a") << "bucket " << b << " of " << before[b] << " moved";
}

}  // namespace
}  // namespace weft::egress
