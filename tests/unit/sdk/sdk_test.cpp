// Prefix algebra, JSON text and WireGuard keys.
#include <gtest/gtest.h>

#include <random>

#include "weft/json.hpp"
#include "weft/prefix.hpp"
#include "weft/wireguard_key.hpp"

using namespace weft;

static Prefix P(const char* s) {
    return *Prefix::parse(s);
}

TEST(Prefix, ParsesPrintsAndRejects) {
    EXPECT_EQ(P("10.0.0.0/8").str(), "10.0.0.0/8");
    EXPECT_EQ(P("2001:db8::/32").str(), "2001:db8::/32");
    EXPECT_EQ(P("192.0.2.1").str(), "192.0.2.1/32");
    for (auto* bad :
         {"10.0.0.1/8", "10.0.0.0/33", "1.2.3", "::/129", "x", "10.0.0.0/", "10.0.0.0/-1"}) {
        EXPECT_FALSE(Prefix::parse(bad)) << bad;
    }
    EXPECT_EQ(Prefix::parseLoose("10.0.0.1/8")->str(), "10.0.0.0/8");
    EXPECT_TRUE(P("10.0.0.0/8").contains(*Address::parse("10.255.1.2")));
    EXPECT_FALSE(P("10.0.0.0/8").contains(*Address::parse("11.0.0.1")));
    EXPECT_FALSE(P("::/0").contains(*Address::parse("10.0.0.1")));
    EXPECT_EQ(P("10.0.0.0/24").last().str(), "10.0.0.255");
}

TEST(PrefixSet, SubtractGivesTheMinimalCover) {
    PrefixSet all{P("0.0.0.0/0")};
    auto rest = all.subtract(PrefixSet{P("10.0.0.0/8")});
    std::vector<std::string> got;
    for (auto& p : rest.prefixes())
        got.push_back(p.str());
    EXPECT_EQ(got,
              (std::vector<std::string>{"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6",
                                        "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"}));
    auto v6 = PrefixSet{P("::/0")}.subtract(PrefixSet{P("8000::/1")});
    EXPECT_EQ(v6.prefixes().front().str(), "::/1");
}

TEST(PrefixSet, UnionMergesAndIntersectionIsExact) {
    PrefixSet s{P("10.0.0.0/25"), P("10.0.0.128/25"), P("2001:db8::/64")};
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s.prefixes()[0].str(), "10.0.0.0/24");
    auto i = s.intersect(PrefixSet{P("10.0.0.64/26"), P("192.0.2.0/24")});
    EXPECT_EQ(i, (PrefixSet{P("10.0.0.64/26")}));
    EXPECT_TRUE(s.contains(*Address::parse("2001:db8::1")));
    EXPECT_FALSE(s.contains(P("10.0.0.0/23")));
}

// Membership of every address of 10.0.0.0/24 against a brute-force model.
TEST(PrefixSet, MatchesABruteForceModel) {
    std::mt19937 rng(42);
    for (int round = 0; round < 50; ++round) {
        std::vector<bool> a(256), b(256);
        auto random = [&](std::vector<bool>& model) {
            std::vector<Prefix> ps;
            for (int k = 0; k < 4; ++k) {
                uint8_t len = uint8_t(24 + rng() % 9);
                uint8_t bytes[4] = {10, 0, 0, uint8_t(rng())};
                Prefix p = Prefix::make(Address::fromBytes(Family::V4, bytes), len);
                ps.push_back(p);
                for (int x = 0; x < 256; ++x) {
                    uint8_t h[4] = {10, 0, 0, uint8_t(x)};
                    if (p.contains(Address::fromBytes(Family::V4, h)))
                        model[size_t(x)] = true;
                }
            }
            return PrefixSet(ps);
        };
        PrefixSet sa = random(a), sb = random(b);
        auto u = sa.unite(sb), in = sa.intersect(sb), d = sa.subtract(sb);
        for (int x = 0; x < 256; ++x) {
            uint8_t h[4] = {10, 0, 0, uint8_t(x)};
            Address ad = Address::fromBytes(Family::V4, h);
            EXPECT_EQ(u.contains(ad), a[size_t(x)] || b[size_t(x)]);
            EXPECT_EQ(in.contains(ad), a[size_t(x)] && b[size_t(x)]);
            EXPECT_EQ(d.contains(ad), a[size_t(x)] && !b[size_t(x)]);
        }
    }
}

TEST(PrefixSet, BuildsOneHundredThousandPrefixes) {
    std::vector<Prefix> ps;
    for (uint32_t n = 0; n < 200000; n += 2) {
        uint8_t b[4] = {100, uint8_t(64 + (n >> 16)), uint8_t(n >> 8), uint8_t(n)};
        ps.push_back(Prefix::host(Address::fromBytes(Family::V4, b)));
    }
    EXPECT_EQ(PrefixSet(ps).size(), 100000u);
}

// weft::Json is nlohmann::ordered_json; what weft owns is the choice of that type (Describe's
// keys keep the order the code wrote them) and jsonText().
TEST(Json, KeepsInsertionOrderAndIntegers) {
    Json j = Json::object();
    j["zeta"] = 1;
    j["alpha"] = Json::array({uint64_t(18446744073709551615u), int64_t(-5), 2.5});
    j["mid"] = nullptr;
    EXPECT_EQ(jsonText(j), R"({"zeta":1,"alpha":[18446744073709551615,-5,2.5],"mid":null})");
    EXPECT_EQ(jsonText(j, 2),
              "{\n  \"zeta\": 1,\n  \"alpha\": [\n    18446744073709551615,\n"
              "    -5,\n    2.5\n  ],\n  \"mid\": null\n}");
    // A plugin's Describe text nested into the daemon's keeps the plugin's order.
    EXPECT_EQ(jsonText(Json::parse(R"({"b": 1, "a": {"d": [], "c": {}}})")),
              R"({"b":1,"a":{"d":[],"c":{}}})");
}

TEST(Json, TextReplacesBytesThatAreNotUtf8) {
    Json j = Json::object();
    j["lastError"] = std::string("bad \xff byte, \xc3\xa9 kept");
    EXPECT_THROW((void)j.dump(), Json::type_error);  // why jsonText() exists
    EXPECT_EQ(jsonText(j), "{\"lastError\":\"bad \xef\xbf\xbd byte, \xc3\xa9 kept\"}");
}

TEST(WireguardKey, GeneratesAndDerivesKnownVectors) {
    // RFC 7748 section 6.1 (Alice's key pair), in base64.
    EXPECT_EQ(wg::publicKeyFor("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="),
              "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
    auto k = wg::generatePrivateKey();
    EXPECT_TRUE(wg::isValidKey(k));
    EXPECT_NE(k, wg::generatePrivateKey());
    EXPECT_FALSE(wg::isValidKey("short="));
    auto raw = wg::decodeKey(k);
    EXPECT_EQ(wg::hexToKey(wg::keyToHex(*raw)), raw);
}
