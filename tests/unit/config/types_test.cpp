// The SDK's config value types and the accessors plugins use on a parsed Section.
#include <gtest/gtest.h>

#include "config_test_util.hpp"

using namespace weft;
using weft::test::testSchema;

TEST(ConfigError, StrNamesFileLineSectionAndKey) {
    EXPECT_EQ((ConfigError{{"a.conf", 3}, "Peer b", "Endpoint", "bad"}).str(),
              "a.conf:3: [Peer b] Endpoint: bad");
    EXPECT_EQ((ConfigError{{"a.conf", 4}, "Main", "", "bad"}).str(), "a.conf:4: [Main]: bad");
    EXPECT_EQ((ConfigError{{"a.conf", 5}, "", "", "bad"}).str(), "a.conf:5: bad");
    EXPECT_EQ((ConfigError{{"a.conf", 6}, "", "Port", "bad"}).str(), "a.conf:6: Port: bad");
}

TEST(ConfigException, WhatJoinsEveryErrorByNewlines) {
    ConfigException e(
        {ConfigError{{"a.conf", 1}, "Main", "", "one"}, ConfigError{{"b.conf", 2}, "", "", "two"}});
    EXPECT_STREQ(e.what(), "a.conf:1: [Main]: one\nb.conf:2: two");
    ASSERT_EQ(e.errors().size(), 2u);
    EXPECT_EQ(e.errors()[1].reason, "two");
}

TEST(PortRange, Str) {
    EXPECT_EQ((PortRange{443, 443}).str(), "443");
    EXPECT_EQ((PortRange{2379, 2380}).str(), "2379-2380");
}

TEST(Mark, StrOmitsAFullMask) {
    EXPECT_EQ((Mark{0x51820, 0xffffffff}).str(), "0x51820");
    EXPECT_EQ((Mark{0x20, 0x60}).str(), "0x20/0x60");
    EXPECT_EQ((Mark{0, 0xff00}).str(), "0x0/0xff00");
}

TEST(Endpoint, ParsesAndPrintsBothFamilies) {
    auto v4 = Endpoint::parse("192.0.2.1:51820");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->port, 51820);
    EXPECT_EQ(v4->address, *Address::parse("192.0.2.1"));
    EXPECT_EQ(v4->str(), "192.0.2.1:51820");
    auto v6 = Endpoint::parse("[2001:db8::1]:1");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->str(), "[2001:db8::1]:1");
    EXPECT_EQ(Endpoint::parse("[2001:db8::1]:65535")->port, 65535);
}

TEST(Endpoint, RefusesWhatIsNotIpAndPort) {
    for (const char* bad :
         {"", "192.0.2.1", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:12a",
          "host.example:80", "2001:db8::1:80", "[2001:db8::1]80", "[2001:db8::1]", "[192.0.2.1]:80",
          "[2001:db8::1:80", "192.0.2.1:+80", "192.0.2.1:123456"}) {
        EXPECT_FALSE(Endpoint::parse(bad)) << bad;
    }
}

namespace {
Config parsed() {
    return config::parseText(
        "[Main]\nPort=8080\nEnabled=yes\nWait=2min\nMark=0x1/0x3\nName=web\n"
        "Prefixes=10.0.0.0/8\nPrefixes=192.0.2.0/24\nPorts=443\nSets=@a/b\n"
        "At=192.0.2.9:51820\n[Peer b]\nPublicKey=" +
            test::kKey +
            "\nEndpoint=192.0.2.1:1 [2001:db8::1]:2\n[Peer a]\nPublicKey=" + test::kKey + "\n",
        "t.conf", testSchema());
}
}  // namespace

TEST(Section, TypedAccessors) {
    Config c = parsed();
    const Section& m = *c.section("Main");
    EXPECT_EQ(m.integer("Port"), 8080);
    EXPECT_TRUE(m.boolean("Enabled"));
    EXPECT_EQ(m.duration("Wait"), std::chrono::minutes(2));
    EXPECT_EQ(m.mark("Mark"), (Mark{1, 3}));
    EXPECT_EQ(m.str("Name"), "web");
    EXPECT_EQ(m.prefixes("Prefixes"),
              (std::vector<Prefix>{*Prefix::parse("10.0.0.0/8"), *Prefix::parse("192.0.2.0/24")}));
    EXPECT_EQ(m.portRanges("Ports"), (std::vector<PortRange>{{443, 443}}));
    EXPECT_EQ(m.prefixOrSets("Sets"), (std::vector<PrefixOrSet>{{std::nullopt, "a/b"}}));
    EXPECT_EQ(std::get<Endpoint>(m.find("At")->value).str(), "192.0.2.9:51820");
    EXPECT_EQ(m.strings("Notes"), std::vector<std::string>{});
    auto eps = c.named("Peer")[0]->endpoints("Endpoint");
    ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[1].str(), "[2001:db8::1]:2");
}

TEST(Section, FallbacksWhenUnset) {
    Config c = parsed();
    const Section& m = *c.section("Main");
    EXPECT_FALSE(m.has("Interface"));
    EXPECT_EQ(m.find("Interface"), nullptr);
    EXPECT_EQ(m.str("Interface", "eth0"), "eth0");
    EXPECT_FALSE(m.mark("Nope"));
    EXPECT_EQ(m.integer("Nope", 7), 7);
    EXPECT_TRUE(m.boolean("Nope", true));
    EXPECT_EQ(m.duration("Nope", std::chrono::seconds(3)), std::chrono::seconds(3));
    EXPECT_TRUE(m.all("Nope").empty());
}

TEST(Section, WrongTypeIsALogicError) {
    Config c = parsed();
    const Section& m = *c.section("Main");
    EXPECT_THROW(m.str("Port"), std::logic_error);
    EXPECT_THROW(m.integer("Enabled"), std::logic_error);
    EXPECT_THROW(m.prefixes("Ports"), std::logic_error);
    EXPECT_THROW(m.mark("Wait"), std::logic_error);
}

TEST(Section, ErrorIsLocatedAtTheKeyOrTheSection) {
    Config c = parsed();
    EXPECT_EQ(c.section("Main")->error("Prefixes", "overlaps").str(),
              "t.conf:8: [Main] Prefixes: overlaps");
    EXPECT_EQ(c.named("Peer")[1]->error("Endpoint", "needed").str(),
              "t.conf:15: [Peer a] Endpoint: needed");
}

TEST(Config, SectionAndNamedLookups) {
    Config c = parsed();
    ASSERT_NE(c.section("Main"), nullptr);
    EXPECT_EQ(c.section("Peer"), nullptr) << "Peer is only named";
    EXPECT_EQ(c.section("Other"), nullptr);
    auto peers = c.named("Peer");
    ASSERT_EQ(peers.size(), 2u);
    EXPECT_EQ(peers[0]->id, "b") << "in order of appearance";
    EXPECT_EQ(peers[1]->id, "a");
    EXPECT_TRUE(c.named("Main").empty());
    EXPECT_EQ(c.files, std::vector<std::string>{"t.conf"});
}
