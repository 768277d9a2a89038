// Sections, merging across drop-ins, resets, defaults, required keys and suggestions.
#include <gtest/gtest.h>

#include "config_test_util.hpp"

using namespace weft;
using weft::test::errorsOf;
using weft::test::kKey;
using weft::test::testSchema;
using Errors = std::vector<std::string>;

namespace {
Config parse(const std::string& text) {
    return config::parseText(text, "t.conf", testSchema());
}
}  // namespace

TEST(Schema, UnnamedSectionsExistWithDefaultsWithoutAnyText) {
    Config c = parse("");
    ASSERT_EQ(c.sections.size(), 1u) << "[Main]; named sections only when written";
    const Section& m = *c.section("Main");
    EXPECT_EQ(m.where.str(), "t.conf:0");
    EXPECT_EQ(m.integer("Port"), 80);
    EXPECT_EQ(m.str("Mode"), "fast");
    EXPECT_FALSE(m.boolean("Enabled", true));
    EXPECT_EQ(m.duration("Wait"), std::chrono::seconds(25));
    EXPECT_EQ(m.find("Port")->where.str(), "t.conf:0");
    EXPECT_EQ(m.find("Port")->text, "80");
    EXPECT_EQ(m.prefixes("Local").size(), 2u) << "a list default is split like user text";
    EXPECT_FALSE(m.has("Name"));
    EXPECT_TRUE(c.named("Peer").empty());
}

TEST(Schema, SingleKeyLastAssignmentWins) {
    EXPECT_EQ(parse("[Main]\nPort=1\nPort=2\n").section("Main")->integer("Port"), 2);
    EXPECT_EQ(parse("[Main]\nPort=1\n[Main]\nPort=3\n").section("Main")->all("Port").size(), 1u);
}

TEST(Schema, EmptyAssignmentUnsetsASingleKeyBackToItsDefault) {
    Config c = parse("[Main]\nPort=9\nPort=\nName=x\nName=\n");
    const Section& m = *c.section("Main");
    EXPECT_EQ(m.integer("Port"), 80);
    EXPECT_FALSE(m.has("Name"));
}

TEST(Schema, RepeatedKeysAppendAndEmptyAssignmentResets) {
    Config c = parse(
        "[Main]\nPrefixes=10.0.0.0/8\nPrefixes=\nPrefixes=192.0.2.0/24\n"
        "Prefixes=198.51.100.0/24\nLocal=\n");
    const Section& m = *c.section("Main");
    auto p = m.prefixes("Prefixes");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].str(), "192.0.2.0/24");
    EXPECT_EQ(p[1].str(), "198.51.100.0/24");
    EXPECT_TRUE(m.prefixes("Local").empty()) << "an emptied list does not fall back to its default";
    EXPECT_EQ(parse("[Main]\nLocal=172.16.0.0/12\n").section("Main")->prefixes("Local").size(), 1u)
        << "a written list replaces its default";
}

TEST(Schema, NamedSectionsMergeAcrossFiles) {
    auto c = config::parseTexts(
        {{"main.conf", "[Peer b]\nPublicKey=" + kKey + "\nEndpoint=192.0.2.1:1\n[Main]\nPort=1\n"},
         {"d/10.conf",
          "[Peer b]\nEndpoint=192.0.2.2:2\n[Peer c]\nPublicKey=" + kKey + "\n[Main]\nPort=2\n"},
         {"d/20.conf", "[Peer b]\nEndpoint=\nEndpoint=192.0.2.3:3\n"}},
        testSchema());
    EXPECT_EQ(c.files, (std::vector<std::string>{"main.conf", "d/10.conf", "d/20.conf"}));
    auto peers = c.named("Peer");
    ASSERT_EQ(peers.size(), 2u);
    EXPECT_EQ(peers[0]->id, "b");
    EXPECT_EQ(peers[0]->where.str(), "main.conf:1") << "where it was first opened";
    auto eps = peers[0]->endpoints("Endpoint");
    ASSERT_EQ(eps.size(), 1u) << "a drop-in's reset applies to what earlier files set";
    EXPECT_EQ(eps[0].str(), "192.0.2.3:3");
    EXPECT_EQ(peers[0]->all("Endpoint")[0]->where.str(), "d/20.conf:3");
    EXPECT_EQ(peers[1]->id, "c");
    EXPECT_EQ(c.section("Main")->integer("Port"), 2) << "drop-ins apply after the main file";
    EXPECT_EQ(c.sections.size(), 3u);
}

TEST(Schema, NamedAndUnnamedSectionRules) {
    EXPECT_EQ(errorsOf("[Peer]\nPublicKey=x\n[Main extra]\nPort=0\n[Peer a/b]\n[Peer a b]\n"),
              (Errors{"t.conf:1: [Peer]: section needs a name: [Peer NAME]",
                      "t.conf:3: [Main extra]: section [Main] takes no name",
                      "t.conf:5: [Peer a/b]: 'a/b' is not a valid section name (letters, "
                      "digits, '_', '.', '-')",
                      "t.conf:6: [Peer a b]: 'a b' is not a valid section name (letters, "
                      "digits, '_', '.', '-')"}))
        << "keys of refused sections are not reported again";
}

TEST(Schema, RequiredKeysAreCheckedInEveryInstanceAtItsHeader) {
    EXPECT_EQ(errorsOf("[Peer a]\nEndpoint=192.0.2.1:1\n[Peer b]\nPublicKey=" + kKey +
                       "\n[Peer c]\nPublicKey=" + kKey + "\nPublicKey=\n"),
              (Errors{"t.conf:1: [Peer a] PublicKey: required key is missing",
                      "t.conf:5: [Peer c] PublicKey: required key is missing"}));
}

TEST(Schema, RequiredKeyOfASectionNeverWrittenIsLocatedAtLineZero) {
    KeySpec need = test::key("Need", ValueType::String);
    need.required = true;
    Schema s{{SectionSpec{"Core", false, {need}, ""}}};
    EXPECT_EQ(errorsOf({{"core.conf", ""}, {"core.conf.d/1.conf", ""}}, s),
              (Errors{"core.conf:0: [Core] Need: required key is missing"}));
    EXPECT_EQ(errorsOf({{"core.conf", "\n\n[Core]\n"}}, s),
              (Errors{"core.conf:3: [Core] Need: required key is missing"}));
}

TEST(Schema, UnknownSectionsAndKeysGetSuggestions) {
    EXPECT_EQ(errorsOf("[Main]\nProt=1\nport=2\nPrefxies=10.0.0.0/8\nPorts=1\nWhatever=1\n"
                       "[main]\n[Peers x]\n[Nothing]\nPort=3\n"),
              (Errors{"t.conf:2: [Main] Prot: unknown key 'Prot'; did you mean 'Port'?",
                      "t.conf:3: [Main] port: unknown key 'port'; did you mean 'Port'?",
                      "t.conf:4: [Main] Prefxies: unknown key 'Prefxies'; did you mean "
                      "'Prefixes'?",
                      "t.conf:6: [Main] Whatever: unknown key 'Whatever'",
                      "t.conf:7: [main]: unknown section 'main'; did you mean 'Main'?",
                      "t.conf:8: [Peers x]: unknown section 'Peers'; did you mean 'Peer'?",
                      "t.conf:9: [Nothing]: unknown section 'Nothing'"}));
}

TEST(Schema, SuggestionPrefersTheClosestName) {
    KeySpec a = test::key("Ports", ValueType::String), b = test::key("Port", ValueType::String);
    Schema s{{SectionSpec{"S", false, {a, b}, ""}}};
    EXPECT_EQ(errorsOf({{"s.conf", "[S]\nProts=1\nPrt=1\nXYZts=1\n"}}, s),
              (Errors{"s.conf:2: [S] Prots: unknown key 'Prots'; did you mean 'Ports'?",
                      "s.conf:3: [S] Prt: unknown key 'Prt'; did you mean 'Port'?",
                      "s.conf:4: [S] XYZts: unknown key 'XYZts'"}));
}

TEST(Schema, InvalidDefaultsInASchemaAreReported) {
    KeySpec bad = test::key("Bad", ValueType::Int, "lots");
    Schema s{{SectionSpec{"S", false, {bad}, ""}}};
    EXPECT_EQ(errorsOf({{"s.conf", ""}}, s),
              (Errors{"s.conf:0: [S] Bad: invalid default in the schema: 'lots' is not an "
                      "integer"}));
}

TEST(Schema, EveryErrorIsCollected) {
    auto e = errorsOf("[Main]\nPort=0\nEnabled=maybe\nMode=medium\n[Peer a]\n[Peer b]\n");
    EXPECT_EQ(e.size(), 5u);
    try {
        parse("[Main]\nPort=0\nEnabled=maybe\n");
        FAIL() << "expected a ConfigException";
    } catch (const ConfigException& ex) {
        EXPECT_STREQ(ex.what(),
                     "t.conf:2: [Main] Port: value 0 out of range [1, 65535]\n"
                     "t.conf:3: [Main] Enabled: 'maybe' is not a boolean (yes/no, true/false, "
                     "on/off, 1/0)");
    }
}
