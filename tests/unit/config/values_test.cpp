// Text -> typed values, one rule per value type, with the exact messages users see.
#include <gtest/gtest.h>

#include "config_test_util.hpp"

using namespace weft;
using namespace std::chrono_literals;
using weft::test::errorsOf;
using weft::test::testSchema;
using Errors = std::vector<std::string>;

namespace {
Section mainOf(const std::string& body) {
    return *config::parseText("[Main]\n" + body, "t.conf", testSchema()).section("Main");
}
// The one error of a single assignment in [Main] (at line 2).
std::string errorOf(const std::string& assignment) {
    auto e = errorsOf("[Main]\n" + assignment + "\n");
    return e.size() == 1 ? e[0] : "expected exactly one error, got " + std::to_string(e.size());
}
}  // namespace

TEST(Values, Booleans) {
    for (const char* yes : {"yes", "YES", "true", "True", "on", "ON", "1"})
        EXPECT_TRUE(mainOf(std::string("Enabled=") + yes + "\n").boolean("Enabled")) << yes;
    for (const char* no : {"no", "No", "false", "FALSE", "off", "Off", "0"})
        EXPECT_FALSE(mainOf(std::string("Enabled=yes\nEnabled=") + no + "\n").boolean("Enabled"))
            << no;
    EXPECT_EQ(errorOf("Enabled=maybe"),
              "t.conf:2: [Main] Enabled: 'maybe' is not a boolean (yes/no, true/false, on/off, "
              "1/0)");
    EXPECT_EQ(errorOf("Enabled=2"),
              "t.conf:2: [Main] Enabled: '2' is not a boolean (yes/no, true/false, on/off, 1/0)");
}

TEST(Values, IntegersDecimalAndHexWithinRange) {
    EXPECT_EQ(mainOf("Port=8080\n").integer("Port"), 8080);
    EXPECT_EQ(mainOf("Port=0x1F90\n").integer("Port"), 8080);
    EXPECT_EQ(mainOf("Port=0X1f90\n").integer("Port"), 8080);
    EXPECT_EQ(mainOf("Port=65535\n").integer("Port"), 65535);
    EXPECT_EQ(errorOf("Port=65536"), "t.conf:2: [Main] Port: value 65536 out of range [1, 65535]");
    EXPECT_EQ(errorOf("Port=0"), "t.conf:2: [Main] Port: value 0 out of range [1, 65535]");
    EXPECT_EQ(errorOf("Port=-3"), "t.conf:2: [Main] Port: value -3 out of range [1, 65535]");
    EXPECT_EQ(errorOf("Port=99999999999999999999999"),
              "t.conf:2: [Main] Port: '99999999999999999999999' is not an integer");
    EXPECT_EQ(errorOf("Port=80x"), "t.conf:2: [Main] Port: '80x' is not an integer");
    EXPECT_EQ(errorOf("Port=0x"), "t.conf:2: [Main] Port: '0x' is not an integer");
    EXPECT_EQ(errorOf("Port=1 2"), "t.conf:2: [Main] Port: '1 2' is not an integer");
}

TEST(Values, IntegersCoverTheWholeInt64Range) {
    KeySpec k = test::key("N", ValueType::Int);
    k.min = INT64_MIN;
    Schema s{{SectionSpec{"S", false, {k}, ""}}};
    auto n = [&](const std::string& v) {
        return config::parseText("[S]\nN=" + v + "\n", "n.conf", s).section("S")->integer("N");
    };
    EXPECT_EQ(n("-9223372036854775808"), INT64_MIN);
    EXPECT_EQ(n("9223372036854775807"), INT64_MAX);
    EXPECT_EQ(n("-0x10"), -16);
    EXPECT_EQ(errorsOf({{"n.conf", "[S]\nN=9223372036854775808\n"}}, s),
              (Errors{"n.conf:2: [S] N: value 9223372036854775808 out of range "
                      "[-9223372036854775808, 9223372036854775807]"}));
}

TEST(Values, Durations) {
    EXPECT_EQ(mainOf("Wait=25s\n").duration("Wait"), 25s);
    EXPECT_EQ(mainOf("Wait=1min 30s\n").duration("Wait"), 90s);
    EXPECT_EQ(mainOf("Wait=1min30s\n").duration("Wait"), 90s);
    EXPECT_EQ(mainOf("Wait=1 min 30 s\n").duration("Wait"), 90s);
    EXPECT_EQ(mainOf("Wait=500ms\n").duration("Wait"), 500ms);
    EXPECT_EQ(mainOf("Wait=2h\n").duration("Wait"), 2h);
    EXPECT_EQ(mainOf("Wait=1d\n").duration("Wait"), 24h);
    EXPECT_EQ(mainOf("Wait=1w 2days 3hours 4minutes 5seconds 6msec\n").duration("Wait"),
              std::chrono::milliseconds(((((7 + 2) * 24 + 3) * 60 + 4) * 60 + 5) * 1000 + 6));
    EXPECT_EQ(mainOf("Wait=100us\n").duration("Wait"), 0ms) << "rounded";
    EXPECT_EQ(mainOf("Wait=1500us\n").duration("Wait"), 2ms) << "rounded";
    EXPECT_EQ(mainOf("Wait=1.5s\n").duration("Wait"), 1500ms);
    EXPECT_EQ(mainOf("Wait=7\n").duration("Wait"), 7s) << "a bare number is seconds";
    EXPECT_EQ(mainOf("Wait=0\n").duration("Wait"), 0ms);
    const std::string why = "' is not a duration (e.g. 25s, 1min 30s, 500ms, 2h)";
    for (const char* bad : {"5 parsecs", "s", "-5s", ".", "1..5s", "1s x", "1e3"})
        EXPECT_EQ(errorOf(std::string("Wait=") + bad),
                  std::string("t.conf:2: [Main] Wait: '") + bad + why);
    EXPECT_EQ(errorOf("Wait=99999999999999999w"),
              "t.conf:2: [Main] Wait: '99999999999999999w" + why);
}

TEST(Values, Marks) {
    EXPECT_EQ(mainOf("Mark=0x51820\n").mark("Mark"), (Mark{0x51820, 0xffffffff}));
    EXPECT_EQ(mainOf("Mark=0x20/0x60\n").mark("Mark"), (Mark{0x20, 0x60}));
    EXPECT_EQ(mainOf("Mark=32/96\n").mark("Mark"), (Mark{0x20, 0x60}));
    EXPECT_EQ(errorOf("Mark=0x80/0x60"),
              "t.conf:2: [Main] Mark: mark value 0x80 has bits outside its mask");
    EXPECT_EQ(errorOf("Mark=0x0/0x0"), "t.conf:2: [Main] Mark: mark '0x0/0x0' has an empty mask");
    EXPECT_EQ(errorOf("Mark=0x100000000"),
              "t.conf:2: [Main] Mark: '0x100000000' is not a mark (32-bit value or value/mask, "
              "e.g. 0x20/0x60)");
    EXPECT_EQ(errorOf("Mark=0x20/"),
              "t.conf:2: [Main] Mark: '0x20/' is not a mark (32-bit value or value/mask, e.g. "
              "0x20/0x60)");
}

TEST(Values, PortsAndPortRanges) {
    EXPECT_EQ(std::get<PortRange>(mainOf("Listen=51820\n").find("Listen")->value),
              (PortRange{51820, 51820}));
    EXPECT_EQ(mainOf("Ports=443 2379-2380\nPorts=1-65535\n").portRanges("Ports"),
              (std::vector<PortRange>{{443, 443}, {2379, 2380}, {1, 65535}}));
    EXPECT_EQ(mainOf("Ports=80-80\n").portRanges("Ports")[0].str(), "80");
    EXPECT_EQ(errorOf("Listen=0"), "t.conf:2: [Main] Listen: '0' is not a port (1-65535)");
    EXPECT_EQ(errorOf("Listen=65536"), "t.conf:2: [Main] Listen: '65536' is not a port (1-65535)");
    EXPECT_EQ(errorOf("Listen=0x50"), "t.conf:2: [Main] Listen: '0x50' is not a port (1-65535)");
    EXPECT_EQ(errorOf("Ports=2380-2379"),
              "t.conf:2: [Main] Ports: port range '2380-2379' ends before it starts");
    EXPECT_EQ(errorOf("Ports=1-70000"),
              "t.conf:2: [Main] Ports: '1-70000' is not a port range (443 or 2379-2380, ports "
              "1-65535)");
    EXPECT_EQ(errorOf("Ports=http"), "t.conf:2: [Main] Ports: 'http' is not a port (1-65535)");
}

TEST(Values, Endpoints) {
    EXPECT_EQ(std::get<Endpoint>(mainOf("At=192.0.2.1:51820\n").find("At")->value).str(),
              "192.0.2.1:51820");
    EXPECT_EQ(std::get<Endpoint>(mainOf("At=[2001:db8::1]:51820\n").find("At")->value).str(),
              "[2001:db8::1]:51820");
    EXPECT_EQ(errorOf("At=vpn.example.com:51820"),
              "t.conf:2: [Main] At: 'vpn.example.com:51820' is not an endpoint (IPv4:port or "
              "[IPv6]:port)");
    EXPECT_EQ(errorOf("At=2001:db8::1:51820"),
              "t.conf:2: [Main] At: '2001:db8::1:51820' is not an endpoint (IPv4:port or "
              "[IPv6]:port)");
}

TEST(Values, WireGuardKeysAreNeverEchoed) {
    auto c = config::parseText("[Peer a]\nPublicKey=" + test::kKey + "\n", "t.conf", testSchema());
    EXPECT_EQ(c.named("Peer")[0]->str("PublicKey"), test::kKey);
    const std::string why =
        "t.conf:2: [Peer a] PublicKey: not a WireGuard key (base64 of 32 "
        "bytes, 44 characters)";
    std::string wrongPadding = test::kKey;
    wrongPadding[42] = 'p';  // non-zero bits below the 32nd byte
    for (const std::string& bad :
         {std::string("secret"), test::kKey.substr(0, 43), test::kKey.substr(0, 43) + "A",
          wrongPadding, "!" + test::kKey.substr(1)}) {
        EXPECT_EQ(errorsOf("[Peer a]\nPublicKey=" + bad + "\n"), (Errors{why})) << bad;
    }
}

TEST(Values, PathsAndNames) {
    EXPECT_EQ(mainOf("State=/var/lib/weft/state\n").str("State"), "/var/lib/weft/state");
    EXPECT_EQ(errorOf("State=var/lib"),
              "t.conf:2: [Main] State: 'var/lib' is not an absolute path");
    EXPECT_EQ(mainOf("Interface=wg-mesh_0.1\n").str("Interface"), "wg-mesh_0.1");
    EXPECT_EQ(mainOf("Interface=" + std::string(64, 'n') + "\n").str("Interface").size(), 64u);
    const std::string why =
        "' is not a valid name (letters, digits, '_', '.', '-'; at most 64 characters)";
    EXPECT_EQ(errorOf("Interface=wg/0"), "t.conf:2: [Main] Interface: 'wg/0" + why);
    EXPECT_EQ(errorOf("Interface=" + std::string(65, 'n')),
              "t.conf:2: [Main] Interface: '" + std::string(65, 'n') + why);
}

TEST(Values, PrefixesAreStrictWithAHint) {
    EXPECT_EQ(mainOf("Prefixes=2001:db8::1\n").prefixes("Prefixes")[0].str(), "2001:db8::1/128");
    EXPECT_EQ(errorOf("Prefixes=10.0.0.1/8"),
              "t.conf:2: [Main] Prefixes: '10.0.0.1/8' has host bits set; did you mean "
              "10.0.0.0/8?");
    EXPECT_EQ(errorOf("Prefixes=2001:db8::1/32"),
              "t.conf:2: [Main] Prefixes: '2001:db8::1/32' has host bits set; did you mean "
              "2001:db8::/32?");
    EXPECT_EQ(errorOf("Prefixes=10.0.0.0/33"),
              "t.conf:2: [Main] Prefixes: '10.0.0.0/33' is not an IP prefix");
}

TEST(Values, PrefixOrSet) {
    auto sets = mainOf("Sets=@wireguard-mesh/targets 10.1.0.0/16\n").prefixOrSets("Sets");
    ASSERT_EQ(sets.size(), 2u);
    EXPECT_EQ(sets[0].setName, "wireguard-mesh/targets");
    EXPECT_FALSE(sets[0].prefix);
    EXPECT_EQ(sets[1].prefix, Prefix::parse("10.1.0.0/16"));
    EXPECT_EQ(sets[1].setName, "");
    for (const char* bad : {"@", "@plugin", "@/set", "@plugin/", "@a/b/c"}) {
        EXPECT_EQ(errorOf(std::string("Sets=") + bad),
                  std::string("t.conf:2: [Main] Sets: '") + bad +
                      "' is not a set reference (@plugin/set)");
    }
    EXPECT_EQ(errorOf("Sets=10.1.0.1/16"),
              "t.conf:2: [Main] Sets: '10.1.0.1/16' has host bits set; did you mean 10.1.0.0/16?");
}

TEST(Values, AddressesAndEnums) {
    EXPECT_EQ(std::get<Address>(mainOf("Gateway=192.0.2.1\n").find("Gateway")->value),
              *Address::parse("192.0.2.1"));
    EXPECT_EQ(errorOf("Gateway=192.0.2.0/24"),
              "t.conf:2: [Main] Gateway: '192.0.2.0/24' is not an IP address");
    EXPECT_EQ(mainOf("Mode=slow\n").str("Mode"), "slow");
    EXPECT_EQ(errorOf("Mode=Slow"), "t.conf:2: [Main] Mode: 'Slow' is not one of: fast, slow");
}

TEST(Values, ListTypesSplitOnWhitespaceStringsNever) {
    auto m =
        mainOf("Prefixes=10.0.0.0/8\t192.0.2.0/24   198.51.100.0/24\nNotes=two words\nNotes=x\n");
    EXPECT_EQ(m.prefixes("Prefixes").size(), 3u);
    EXPECT_EQ(m.strings("Notes"), (std::vector<std::string>{"two words", "x"}));
    EXPECT_EQ(m.all("Prefixes")[1]->text, "192.0.2.0/24") << "each word keeps its own text";
    EXPECT_EQ(mainOf("Name=a  b\n").str("Name"), "a  b") << "a single String keeps its spaces";
}

TEST(Values, EachBadWordOfAListIsReported) {
    EXPECT_EQ(errorsOf("[Main]\nPorts=80 0 90-80 443\n"),
              (Errors{"t.conf:2: [Main] Ports: '0' is not a port (1-65535)",
                      "t.conf:2: [Main] Ports: port range '90-80' ends before it starts"}));
}
