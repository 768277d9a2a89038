// ElementSet: a sorted, copy-on-write set of nftables elements, checked against std::map.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "weft/nft_elements.hpp"

using namespace weft;
using namespace weft::nft;

namespace {

Element host(uint32_t i, std::optional<uint32_t> data = {}) {
    uint8_t b[4] = {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    Element e{Prefix::host(Address::fromBytes(Family::V4, b)), {}};
    if (data)
        e.data = *data;
    return e;
}

using Model = std::map<ElementKey, std::optional<ElementData>>;

std::vector<Element> elementsOf(const Model& m) {
    std::vector<Element> v;
    for (auto& [k, d] : m)
        v.push_back(Element{k, d});
    return v;
}

}  // namespace

TEST(ElementSet, SortsAndTheLaterOfTwoEqualKeysWins) {
    ElementSet s{host(3), host(1, 7), host(2), host(1, 9)};
    EXPECT_EQ(s.size(), 3u);
    EXPECT_EQ(s.toVector(), (std::vector<Element>{host(1, 9), host(2), host(3)}));
    s.insert(host(2, 5));  // an existing key: its data is replaced
    EXPECT_EQ(s.size(), 3u);
    EXPECT_EQ(*s.find(host(2).key), host(2, 5));
    EXPECT_EQ(s.find(host(4).key), nullptr);
    EXPECT_TRUE(s.erase(host(1).key));
    EXPECT_FALSE(s.erase(host(1).key));
    EXPECT_EQ(s.toVector(), (std::vector<Element>{host(2, 5), host(3)}));
}

TEST(ElementSet, NeighboursAcrossChunks) {
    ElementSet s;
    for (uint32_t i = 0; i < 2000; i += 2)
        s.insert(host(i));
    EXPECT_EQ(s.before(host(0).key), nullptr);
    EXPECT_EQ(*s.after(host(0).key), host(2));
    for (uint32_t i : {1u, 255u, 257u, 1001u, 1997u}) {
        EXPECT_EQ(*s.before(host(i).key), host(i - 1)) << i;
        EXPECT_EQ(*s.after(host(i).key), host(i + 1)) << i;
    }
    EXPECT_EQ(*s.before(host(256).key), host(254));  // the key itself is never a neighbour
    EXPECT_EQ(s.after(host(1998).key), nullptr);
}

TEST(ElementSet, CopiesAreIndependent) {
    ElementSet a;
    for (uint32_t i = 0; i < 1000; ++i)
        a.insert(host(i));
    ElementSet b = a;
    b.erase(host(500).key);
    b.insert(host(5000));
    b.insert(host(7, 1));
    EXPECT_EQ(a.size(), 1000u);
    EXPECT_NE(a.find(host(500).key), nullptr);
    EXPECT_EQ(a.find(host(5000).key), nullptr);
    EXPECT_EQ(*a.find(host(7).key), host(7));
    EXPECT_NE(a, b);
    auto d = ElementSet::diff(a, b);
    EXPECT_EQ(d.removed, (std::vector<Element>{host(7), host(500)}));
    EXPECT_EQ(d.added, (std::vector<Element>{host(7, 1), host(5000)}));
    EXPECT_TRUE(ElementSet::diff(a, a).added.empty());
}

// Random inserts and erases on a chain of copies, each diffed against its parent and compared
// with a std::map model: contents, order, size, equality and diffs all agree.
TEST(ElementSet, RandomEditsMatchAMapModel) {
    std::mt19937 rng(42);
    ElementSet set;
    Model model;
    for (int round = 0; round < 200; ++round) {
        ElementSet before = set;
        Model modelBefore = model;
        int edits = round % 10 == 0 ? 500 : 1 + int(rng() % 5);
        for (int i = 0; i < edits; ++i) {
            uint32_t k = rng() % 20000;
            if (rng() % 3 == 0) {
                EXPECT_EQ(set.erase(host(k).key), model.erase(host(k).key) == 1);
            } else {
                auto e =
                    host(k, rng() % 4 == 0 ? std::optional<uint32_t>(rng() % 3) : std::nullopt);
                set.insert(e);
                model[e.key] = e.data;
            }
        }
        ASSERT_EQ(set.size(), model.size());
        ASSERT_EQ(set.toVector(), elementsOf(model));
        ASSERT_EQ(before.toVector(), elementsOf(modelBefore)) << "a copy changed with its source";
        // The expected diff, from the models.
        std::vector<Element> removed, added;
        for (auto& [k, d] : modelBefore) {
            auto it = model.find(k);
            if (it == model.end() || it->second != d)
                removed.push_back(Element{k, d});
        }
        for (auto& [k, d] : model) {
            auto it = modelBefore.find(k);
            if (it == modelBefore.end() || it->second != d)
                added.push_back(Element{k, d});
        }
        auto d = ElementSet::diff(before, set);
        ASSERT_EQ(d.removed, removed) << "round " << round;
        ASSERT_EQ(d.added, added) << "round " << round;
        EXPECT_EQ(before == set, removed.empty() && added.empty());
        EXPECT_EQ(ElementSet(set.toVector()), set) << "a fresh build equals the edited set";
    }
}

TEST(ElementSet, UpdateEditsInPlace) {
    ElementSet kept;
    for (uint32_t i = 0; i < 3000; ++i)
        kept.insert(host(i));
    ElementSet applied = kept;  // what the core holds
    std::vector<Element> fresh;
    for (uint32_t i = 1; i < 3001; ++i)
        fresh.push_back(host(i, i == 1500 ? std::optional<uint32_t>(1) : std::nullopt));
    kept.update(ElementSet(fresh));
    EXPECT_EQ(kept.toVector(), fresh);
    auto d = ElementSet::diff(applied, kept);
    EXPECT_EQ(d.removed, (std::vector<Element>{host(0), host(1500)}));
    EXPECT_EQ(d.added, (std::vector<Element>{host(1500, 1), host(3000)}));
    EXPECT_EQ(applied.size(), 3000u) << "the core's copy is untouched";
}

TEST(ElementSet, OrdersLikeItsElements) {
    ElementSet a{host(1), host(2)}, b{host(1), host(3)}, c{host(1)};
    EXPECT_LT(a, b);
    EXPECT_LT(c, a);
    EXPECT_EQ(a, (ElementSet{host(2), host(1)}));
    EXPECT_TRUE(ElementSet{}.empty());
}
