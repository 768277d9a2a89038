// The node record's codec: exact encoding, every check of decoding, the peer a record makes,
// and the endpoints this node publishes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "discovery.hpp"
#include "discovery_record.hpp"
#include "weft/json.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::mesh {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kKey = *wg::publicKeyFor(wg::generatePrivateKey());

NodeRecord sample() {
    return NodeRecord{
        "node-b",
        kKey,
        51820,
        {*Endpoint::parse("192.0.2.2:51820"), *Endpoint::parse("[2001:db8::2]:51820")},
        {*InterfaceAddress::parse("10.99.0.2/24"), *InterfaceAddress::parse("fd00:99::2/64")},
        {*Prefix::parse("10.244.2.0/24")}};
}

/// The message decodeRecord throws for `text` at key "nodes/node-b", "" if it is accepted.
std::string problem(const std::string& text, const std::string& key = "nodes/node-b") {
    try {
        decodeRecord(key, text);
        return "";
    } catch (const RecordError& e) {
        return e.what();
    }
}

/// The sample's JSON with one field replaced (or removed, for a null `value`).
std::string with(const std::string& field, const Json& value) {
    Json j = Json::parse(encodeRecord(sample()));
    if (value.is_null())
        j.erase(field);
    else
        j[field] = value;
    return j.dump();
}

TEST(DiscoveryRecord, EncodesExactlyTheSharedLayout) {
    EXPECT_EQ(
        encodeRecord(sample()),
        R"({"version":1,"name":"node-b","publicKey":")" + kKey +
            R"(","listenPort":51820,"endpoints":["192.0.2.2:51820","[2001:db8::2]:51820"],)"
            R"("addresses":["10.99.0.2/24","fd00:99::2/64"],"advertised":["10.244.2.0/24"]})");
}

TEST(DiscoveryRecord, DecodesWhatItEncodesAndIgnoresUnknownFields) {
    EXPECT_EQ(decodeRecord("nodes/node-b", encodeRecord(sample())), sample());
    EXPECT_EQ(decodeRecord("nodes/node-b", with("future", "x")), sample());
    NodeRecord empty{"node-b", kKey, 1, {}, {}, {}};
    EXPECT_EQ(decodeRecord("nodes/node-b", encodeRecord(empty)), empty);
}

TEST(DiscoveryRecord, RefusesEveryBadField) {
    EXPECT_THAT(problem("{\"version\":1,"), StartsWith("not JSON: "));
    EXPECT_EQ(problem("[1]"), "not a JSON object");
    EXPECT_EQ(problem(with("version", nullptr)), "version: missing");
    EXPECT_EQ(problem(with("version", "1")), "version: not an integer");
    EXPECT_EQ(problem(with("version", 2)),
              "version: 2 is not supported (this weft reads version 1)");
    EXPECT_EQ(problem(with("name", 7)), "name: not a string");
    EXPECT_EQ(problem(with("name", "node-c")),
              "name: 'node-c' is not the key's node name 'node-b'");
    EXPECT_THAT(problem(with("name", "a b"), "nodes/a b"),
                StartsWith("name: 'a b' is not a peer name"));
    EXPECT_EQ(problem(with("publicKey", nullptr)), "publicKey: missing");
    EXPECT_THAT(problem(with("publicKey", "AAAA")), StartsWith("publicKey: not a WireGuard key"));
    EXPECT_THAT(problem(with("publicKey", kKey.substr(1) + "A")), StartsWith("publicKey: "));
    EXPECT_EQ(problem(with("listenPort", 0)), "listenPort: not a port (1-65535)");
    EXPECT_EQ(problem(with("listenPort", 65536)), "listenPort: not a port (1-65535)");
    EXPECT_EQ(problem(with("listenPort", "51820")), "listenPort: not a port (1-65535)");
    EXPECT_EQ(problem(with("endpoints", "192.0.2.2:51820")), "endpoints: not an array");
    EXPECT_EQ(problem(with("endpoints", Json::array({1}))), "endpoints: an item is not a string");
    EXPECT_THAT(problem(with("endpoints", Json::array({"192.0.2.2"}))),
                StartsWith("endpoints: '192.0.2.2' is not an endpoint"));
    EXPECT_THAT(problem(with("endpoints", Json::array({"2001:db8::2:51820"}))),
                StartsWith("endpoints: '2001:db8::2:51820' is not an endpoint"));
    EXPECT_THAT(problem(with("addresses", Json::array({"10.99.0.2"}))),
                StartsWith("addresses: '10.99.0.2' is not an address with a prefix length"));
    EXPECT_EQ(problem(with("advertised", nullptr)), "advertised: missing");
    EXPECT_THAT(problem(with("advertised", Json::array({"10.244.2.1/24"}))),
                StartsWith("advertised: '10.244.2.1/24' is not an IP prefix"));
}

TEST(DiscoveryRecord, QuotesAHugeValueClipped) {
    std::string huge(100000, 'x');
    auto why = problem(with("endpoints", Json::array({huge})));
    EXPECT_LT(why.size(), 400u);
    EXPECT_THAT(why, HasSubstr("(100000 bytes)"));
}

TEST(DiscoveryRecord, KeysNameNodes) {
    EXPECT_EQ(recordKey("node-a"), "nodes/node-a");
    EXPECT_EQ(nodeOfKey("nodes/node-a"), "node-a");
    EXPECT_EQ(nodeOfKey("nodes/"), std::nullopt);
    EXPECT_EQ(nodeOfKey("nodes/a/b"), std::nullopt);
    EXPECT_EQ(nodeOfKey("other/a"), std::nullopt);
}

TEST(DiscoveryRecord, PeerRoutesHostAddressesAndAdvertisedPrefixes) {
    NodeRecord r = sample();
    r.advertised.push_back(*Prefix::parse("10.99.0.2/32"));  // already there: once
    PeerSpec p = discoveredPeer(r);
    EXPECT_EQ(p.name, "node-b");
    EXPECT_EQ(p.publicKey, kKey);
    EXPECT_EQ(p.source, PeerSource::Discovery);
    EXPECT_EQ(p.endpoints, r.endpoints);
    std::vector<Prefix> expected{*Prefix::parse("10.99.0.2/32"), *Prefix::parse("fd00:99::2/128"),
                                 *Prefix::parse("10.244.2.0/24")};
    EXPECT_EQ(p.allowedIps, expected);
    EXPECT_FALSE(p.keepalive);
}

LinkInfo link(int index, std::string name, bool up, std::vector<const char*> addresses) {
    LinkInfo l{index, std::move(name), up, 1500, {}};
    for (auto a : addresses)
        l.addresses.push_back(*InterfaceAddress::parse(a));
    return l;
}

TEST(DiscoveryRecord, PublishesGlobalAddressesOfOtherLinksButNotThoseItAdvertises) {
    std::vector<LinkInfo> links{
        link(1, "lo", true, {"127.0.0.1/8", "::1/128"}),
        link(2, "eth0", true,
             {"192.0.2.1/24", "fe80::1/64", "2001:db8::1/64", "169.254.3.3/16", "10.0.0.1/8"}),
        link(3, "weft0", true, {"10.99.0.1/24"}),
        link(4, "eth1", false, {"198.51.100.1/24"}),
        link(5, "eth2", true, {"203.0.113.1/24", "192.0.2.1/24"}),
        link(6, "cbr0", true, {"10.244.1.1/24", "fd00:244:1::1/64"}),  // a pod bridge
    };
    // The pod CIDR, and this node's own address (host traffic steered, as KubeSpan does).
    std::vector<Prefix> advertised{*Prefix::parse("10.244.1.0/24"),
                                   *Prefix::parse("fd00:244:1::/64"),
                                   *Prefix::parse("192.0.2.1/32")};
    std::vector<Endpoint> expected;
    for (auto e : {"192.0.2.1:4000", "[2001:db8::1]:4000", "10.0.0.1:4000", "203.0.113.1:4000"})
        expected.push_back(*Endpoint::parse(e));
    EXPECT_EQ(publishedEndpoints({true, {}}, links, "weft0", 4000, advertised), expected);

    DiscoverySettings configured{true, {*Endpoint::parse("198.51.100.7:51820")}};
    EXPECT_EQ(publishedEndpoints(configured, links, "weft0", 4000, advertised),
              configured.endpoints);
}

}  // namespace
}  // namespace weft::mesh
