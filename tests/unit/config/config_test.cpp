// The configuration layer: syntax, types, drop-ins, search path, errors with file:line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config_loader.hpp"

using namespace weft;
using weft::config::parseText;
using weft::config::parseTexts;

namespace {

Schema schema() {
    auto key = [](std::string n, ValueType t, std::optional<std::string> def = {},
                  bool rep = false) {
        KeySpec k{std::move(n), t, rep};
        k.defaultValue = std::move(def);
        return k;
    };
    KeySpec port = key("Port", ValueType::Int, "80");
    port.min = 1;
    port.max = 65535;
    KeySpec mode = key("Mode", ValueType::Enum, "fast");
    mode.choices = {"fast", "slow"};
    KeySpec pk = key("PublicKey", ValueType::Key);
    pk.required = true;
    return Schema{
        {SectionSpec{
             "Main",
             false,
             {port, mode, key("Enabled", ValueType::Bool, "no"),
              key("Prefixes", ValueType::Prefix, {}, true),
              key("Ports", ValueType::PortRange, {}, true), key("Mark", ValueType::Mark),
              key("Wait", ValueType::Duration, "25s"), key("Name", ValueType::String),
              key("Sets", ValueType::PrefixOrSet, {}, true), key("At", ValueType::Endpoint)}},
         SectionSpec{"Peer", true, {pk, key("Endpoint", ValueType::Endpoint, {}, true)}}}};
}

std::string errorsOf(const std::string& text) {
    try {
        parseText(text, "t.conf", schema());
    } catch (const ConfigException& e) {
        return e.what();
    }
    return "";
}

const std::string kKey = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

}  // namespace

TEST(Config, DefaultsExistWithoutAnyFile) {
    auto c = parseText("", "t.conf", schema());
    EXPECT_EQ(c.section("Main")->integer("Port"), 80);
    EXPECT_FALSE(c.section("Main")->boolean("Enabled"));
    EXPECT_EQ(c.section("Main")->duration("Wait"), std::chrono::seconds(25));
}

TEST(Config, TypedValuesAndLists) {
    auto c = parseText(
        "# comment\n; also a comment\n[Main]\nPort=0x1F90\nEnabled=on\nPrefixes=10.0.0.0/8 "
        "192.0.2.0/24\n"
        "Prefixes=2001:db8::/32\nPorts=443 2379-2380\nMark=0x20/0x60\nWait=1min 30s\nName=a;b #c\n"
        "Sets=@wireguard-mesh/targets 10.1.0.0/16\nAt=[2001:db8::1]:51820\n",
        "t.conf", schema());
    const Section& m = *c.section("Main");
    EXPECT_EQ(m.integer("Port"), 8080);
    EXPECT_TRUE(m.boolean("Enabled"));
    EXPECT_EQ(m.prefixes("Prefixes").size(), 3u);
    EXPECT_EQ(m.portRanges("Ports")[1].str(), "2379-2380");
    EXPECT_EQ(m.mark("Mark")->str(), "0x20/0x60");
    EXPECT_EQ(m.duration("Wait"), std::chrono::seconds(90));
    EXPECT_EQ(m.str("Name"), "a;b #c") << "no inline comments";
    EXPECT_EQ(m.prefixOrSets("Sets")[0].setName, "wireguard-mesh/targets");
    EXPECT_EQ(std::get<Endpoint>(m.find("At")->value).str(), "[2001:db8::1]:51820");
}

TEST(Config, EmptyAssignmentResetsAndContinuationsJoin) {
    auto c = parseText(
        "[Main]\nPrefixes=10.0.0.0/8\nPrefixes=\nPrefixes=192.0.2.0/24 \\\n  "
        "198.51.100.0/24\nPort=9\nPort=\n",
        "t.conf", schema());
    EXPECT_EQ(c.section("Main")->prefixes("Prefixes").size(), 2u);
    EXPECT_EQ(c.section("Main")->integer("Port"), 80) << "Key= resets to the default";
}

TEST(Config, NamedSectionsMergeAcrossDropIns) {
    auto c = parseTexts(
        {{"main.conf", "[Peer b]\nPublicKey=" + kKey + "\nEndpoint=192.0.2.1:1\n"},
         {"d/10.conf", "[Peer b]\nEndpoint=192.0.2.2:2\n[Peer c]\nPublicKey=" + kKey + "\n"}},
        schema());
    auto peers = c.named("Peer");
    ASSERT_EQ(peers.size(), 2u);
    EXPECT_EQ(peers[0]->id, "b");
    EXPECT_EQ(peers[0]->endpoints("Endpoint").size(), 2u);
}

TEST(Config, EveryErrorNamesFileLineSectionAndKey) {
    auto e = errorsOf(
        "[Main]\nPrt=1\nPort=70000\nEnabled=maybe\nPrefixes=10.0.0.1/8\nMode=medium\nMark=0x80/"
        "0x60\n"
        "Port: 5\n[Nope]\n[Peer]\n[Peer x]\n[Main extra]\n");
    EXPECT_NE(e.find("t.conf:2: [Main] Prt: unknown key 'Prt'; did you mean 'Port'?"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("t.conf:3: [Main] Port: value 70000 out of range [1, 65535]"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("t.conf:4: [Main] Enabled: 'maybe' is not a boolean"), std::string::npos) << e;
    EXPECT_NE(
        e.find(
            "t.conf:5: [Main] Prefixes: '10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?"),
        std::string::npos)
        << e;
    EXPECT_NE(e.find("t.conf:6: [Main] Mode: 'medium' is not one of: fast, slow"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("t.conf:7: [Main] Mark: mark value 0x80 has bits outside its mask"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("t.conf:8: [Main]: expected Key=value"), std::string::npos) << e;
    EXPECT_NE(e.find("t.conf:9: [Nope]: unknown section 'Nope'"), std::string::npos) << e;
    EXPECT_NE(e.find("t.conf:10: [Peer]: section needs a name"), std::string::npos) << e;
    EXPECT_NE(e.find("t.conf:11: [Peer x] PublicKey: required key is missing"), std::string::npos)
        << e;
    EXPECT_NE(e.find("t.conf:12: [Main extra]: section [Main] takes no name"), std::string::npos)
        << e;
}

TEST(Config, LongLinesAreRefusedClearly) {
    std::string line = "Prefixes=";
    while (line.size() < 230)
        line += "10.0.0.0/8 ";
    auto e = errorsOf("[Main]\n" + line + "\n");
    EXPECT_NE(e.find("t.conf:2: [Main] Prefixes: line too long ("), std::string::npos) << e;
    EXPECT_NE(e.find("split the list over repeated Prefixes= lines"), std::string::npos) << e;
}

TEST(Config, SearchPathOverridesMasksAndOrdersDropIns) {
    namespace fs = std::filesystem;
    fs::path root = fs::temp_directory_path() / ("weft-config-" + std::to_string(getpid()));
    fs::remove_all(root);
    auto write = [&](const std::string& rel, const std::string& text) {
        fs::create_directories((root / rel).parent_path());
        std::ofstream(root / rel) << text;
    };
    write("usr/lib/weft/x.conf", "[Main]\nPort=1\n");
    write("etc/weft/x.conf", "[Main]\nPort=2\n");
    write("usr/lib/weft/x.conf.d/20-b.conf", "[Main]\nPort=20\n");
    write("run/weft/x.conf.d/10-a.conf", "[Main]\nPort=10\n");
    write("etc/weft/x.conf.d/30-c.conf", "[Main]\nPort=30\n");
    fs::create_directories(root / "usr/local/lib/weft/x.conf.d");
    fs::create_symlink("/dev/null", root / "etc/weft/x.conf.d/20-b.conf");  // masks the lower 20-b
    config::SearchPath sp;
    sp.root = root;
    auto files = config::findFiles(sp, "x");
    ASSERT_EQ(files.size(), 3u);
    EXPECT_EQ(files[0], root / "etc/weft/x.conf");
    EXPECT_EQ(files[1], root / "run/weft/x.conf.d/10-a.conf");
    EXPECT_EQ(files[2], root / "etc/weft/x.conf.d/30-c.conf");
    EXPECT_EQ(config::load(sp, "x", schema()).section("Main")->integer("Port"), 30);
    fs::remove(root / "etc/weft/x.conf.d/30-c.conf");
    EXPECT_EQ(config::load(sp, "x", schema()).section("Main")->integer("Port"), 10);
    fs::remove(root / "etc/weft/x.conf");
    fs::create_symlink("/dev/null", root / "etc/weft/x.conf");  // masks the main file
    EXPECT_EQ(config::findFiles(sp, "x").size(), 1u);
    fs::remove_all(root);
}
