// WG_CMD_SET_DEVICE encoding, read back with the tests' own attribute walker and checked
// against the layout documented in linux/wireguard.h.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <map>
#include <set>

#include "kernel/wireguard/wg_diff.hpp"
#include "kernel/wireguard/wg_genl_codec.hpp"
#include "nla_walker.hpp"
#include "wg_fixtures.hpp"

using namespace weft::kernel::wg;
using namespace wgtest;
using walk::Attr;

namespace {

constexpr uint16_t kFamily = 0x1d;

std::vector<uint8_t> raw(unsigned i, uint8_t salt = 0x42) {
    auto k = rawKey(i, salt);
    return {k.begin(), k.end()};
}

const Attr& get(const std::vector<Attr>& list, uint16_t type) {
    auto* a = walk::find(list, type);
    if (!a)
        throw std::runtime_error("missing attribute " + std::to_string(type));
    return *a;
}

TEST(WgGenlSet, HeadersAndDeviceAttributes) {
    auto msgs = genl::encodeSetDevice("wg0", sampleChange(), kFamily, 77);
    ASSERT_EQ(msgs.size(), 1u);
    auto m = walk::message(msgs[0].bytes);
    EXPECT_EQ(m.hdr.nlmsg_type, kFamily);
    EXPECT_EQ(m.hdr.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
    EXPECT_EQ(m.hdr.nlmsg_seq, 77u);
    EXPECT_EQ(m.genl.cmd, WG_CMD_SET_DEVICE);
    EXPECT_EQ(m.genl.version, WG_GENL_VERSION);
    EXPECT_TRUE(msgs[0].deviceFields);
    EXPECT_EQ(msgs[0].peers, (std::vector<std::string>{key(1), key(2), key(3)}));

    auto& name = get(m.attrs, WGDEVICE_A_IFNAME);
    EXPECT_EQ(name.bytes(), (std::vector<uint8_t>{'w', 'g', '0', 0}));
    EXPECT_EQ(get(m.attrs, WGDEVICE_A_PRIVATE_KEY).bytes(), raw(9, 0x11));
    EXPECT_EQ(get(m.attrs, WGDEVICE_A_LISTEN_PORT).as<uint16_t>(), 51820);  // host order
    EXPECT_EQ(get(m.attrs, WGDEVICE_A_FWMARK).as<uint32_t>(), 0x51820u);
    EXPECT_EQ(walk::find(m.attrs, WGDEVICE_A_FLAGS), nullptr);
    EXPECT_EQ(walk::find(m.attrs, WGDEVICE_A_IFINDEX), nullptr);  // one of name or index
    EXPECT_TRUE(get(m.attrs, WGDEVICE_A_PEERS).nested);
}

TEST(WgGenlSet, PeerAttributes) {
    auto msgs = genl::encodeSetDevice("wg0", sampleChange(), kFamily, 1);
    auto m = walk::message(msgs.at(0).bytes);
    auto peers = get(m.attrs, WGDEVICE_A_PEERS).children();
    ASSERT_EQ(peers.size(), 3u);
    for (auto& p : peers) {
        EXPECT_TRUE(p.nested);
        EXPECT_EQ(p.type, 0);
    }

    auto removed = peers[0].children();  // removals come first
    EXPECT_EQ(walk::types(removed), (std::vector<uint16_t>{WGPEER_A_PUBLIC_KEY, WGPEER_A_FLAGS}));
    EXPECT_EQ(get(removed, WGPEER_A_PUBLIC_KEY).bytes(), raw(1));
    EXPECT_EQ(get(removed, WGPEER_A_FLAGS).as<uint32_t>(), uint32_t(WGPEER_F_REMOVE_ME));

    auto added = peers[1].children();
    EXPECT_EQ(get(added, WGPEER_A_PUBLIC_KEY).bytes(), raw(2));
    EXPECT_EQ(get(added, WGPEER_A_FLAGS).as<uint32_t>(), uint32_t(WGPEER_F_REPLACE_ALLOWEDIPS));
    EXPECT_EQ(get(added, WGPEER_A_PRESHARED_KEY).bytes(), raw(2, 0x77));
    auto sin = get(added, WGPEER_A_ENDPOINT).as<sockaddr_in>();
    EXPECT_EQ(sin.sin_family, AF_INET);
    auto* port = reinterpret_cast<const uint8_t*>(&sin.sin_port);
    EXPECT_EQ(port[0], 51820 >> 8);  // network order on the wire
    EXPECT_EQ(port[1], 51820 & 0xff);
    EXPECT_EQ(ntohl(sin.sin_addr.s_addr), 0x7f000002u);
    EXPECT_EQ(get(added, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL).as<uint16_t>(), 25);
    auto& list = get(added, WGPEER_A_ALLOWEDIPS);
    EXPECT_TRUE(list.nested);
    auto ips = list.children();
    ASSERT_EQ(ips.size(), 2u);
    EXPECT_TRUE(ips[0].nested && ips[1].nested);
    auto v4 = ips[0].children();
    EXPECT_EQ(get(v4, WGALLOWEDIP_A_FAMILY).as<uint16_t>(), AF_INET);
    EXPECT_EQ(get(v4, WGALLOWEDIP_A_IPADDR).bytes(), (std::vector<uint8_t>{10, 0, 0, 2}));
    EXPECT_EQ(get(v4, WGALLOWEDIP_A_CIDR_MASK).as<uint8_t>(), 32);
    auto v6 = ips[1].children();
    EXPECT_EQ(get(v6, WGALLOWEDIP_A_FAMILY).as<uint16_t>(), AF_INET6);
    auto addr6 = get(v6, WGALLOWEDIP_A_IPADDR).bytes();
    ASSERT_EQ(addr6.size(), 16u);
    EXPECT_EQ(addr6[0], 0xfd);
    EXPECT_EQ(get(v6, WGALLOWEDIP_A_CIDR_MASK).as<uint8_t>(), 64);

    auto edited = peers[2].children();
    EXPECT_EQ(walk::types(edited),
              (std::vector<uint16_t>{WGPEER_A_PUBLIC_KEY, WGPEER_A_FLAGS, WGPEER_A_ENDPOINT}));
    EXPECT_EQ(get(edited, WGPEER_A_FLAGS).as<uint32_t>(), uint32_t(WGPEER_F_UPDATE_ONLY));
    auto sin6 = get(edited, WGPEER_A_ENDPOINT).as<sockaddr_in6>();
    EXPECT_EQ(sin6.sin6_family, AF_INET6);
    EXPECT_EQ(ntohs(sin6.sin6_port), 4500);
    EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&sin6.sin6_addr));
}

TEST(WgGenlSet, KeyRemovalIsAllZeros) {
    DeviceChange c;
    c.privateKey = "";
    PeerChange p;
    p.publicKey = key(5);
    p.updateOnly = true;
    p.presharedKey = "";
    c.peers = {p};
    auto m = walk::message(genl::encodeSetDevice("wg0", c, kFamily, 1).at(0).bytes);
    EXPECT_EQ(get(m.attrs, WGDEVICE_A_PRIVATE_KEY).bytes(), std::vector<uint8_t>(32, 0));
    auto peer = get(m.attrs, WGDEVICE_A_PEERS).children().at(0).children();
    EXPECT_EQ(get(peer, WGPEER_A_PRESHARED_KEY).bytes(), std::vector<uint8_t>(32, 0));
}

TEST(WgGenlSet, NothingToSendIsNoMessage) {
    EXPECT_TRUE(genl::encodeSetDevice("wg0", DeviceChange{}, kFamily, 1).empty());
}

TEST(WgGenlSet, RefusesBadInput) {
    auto c = sampleChange();
    EXPECT_THROW(genl::encodeSetDevice("wg0", c, kFamily, 1, 100), std::invalid_argument);
    EXPECT_THROW(genl::encodeSetDevice("wg0", c, kFamily, 1, 70000), std::invalid_argument);
    EXPECT_THROW(genl::encodeSetDevice("a-very-long-name0", c, kFamily, 1), std::invalid_argument);
    c.peers[0].publicKey = "nope";
    EXPECT_THROW(genl::encodeSetDevice("wg0", c, kFamily, 1), std::invalid_argument);
}

TEST(WgGenlSet, GetRequestIsADumpByName) {
    auto m = walk::message(genl::encodeGetDevice("weft0", kFamily, 9));
    EXPECT_EQ(m.hdr.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
    EXPECT_EQ(m.genl.cmd, WG_CMD_GET_DEVICE);
    EXPECT_EQ(walk::types(m.attrs), std::vector<uint16_t>{WGDEVICE_A_IFNAME});
    EXPECT_EQ(get(m.attrs, WGDEVICE_A_IFNAME).bytes().back(), 0);
}

// ---------------------------------------------------------------- splitting

struct Seen {
    std::map<std::string, std::multiset<std::vector<uint8_t>>> ips;  // key -> raw allowed IPs
    std::vector<std::string> order;                                  // first fragments
    unsigned continuations = 0;
};

std::string keyText(const Attr& a) {
    weft::wg::RawKey k;
    EXPECT_EQ(a.len, 32u);
    std::memcpy(k.data(), a.data, 32);
    return weft::wg::encodeKey(k);
}

// Walks every message and checks each continuation rule of linux/wireguard.h on the way.
Seen walkSplit(const std::vector<genl::SetMessage>& msgs, size_t limit, uint32_t seq) {
    Seen seen;
    std::string last;  // the last peer of the previous message
    for (size_t i = 0; i < msgs.size(); ++i) {
        SCOPED_TRACE("message " + std::to_string(i));
        EXPECT_LE(msgs[i].bytes.size(), limit);
        auto m = walk::message(msgs[i].bytes);
        EXPECT_EQ(m.hdr.nlmsg_seq, seq + i);
        EXPECT_TRUE(walk::find(m.attrs, WGDEVICE_A_IFNAME));
        if (i > 0) {  // later messages: only the name and more peers
            for (auto t : walk::types(m.attrs))
                EXPECT_TRUE(t == WGDEVICE_A_IFNAME || t == WGDEVICE_A_PEERS) << t;
        }
        auto peers = get(m.attrs, WGDEVICE_A_PEERS).children();
        EXPECT_FALSE(peers.empty());
        for (size_t j = 0; j < peers.size(); ++j) {
            auto attrs = peers[j].children();
            std::string k = keyText(get(attrs, WGPEER_A_PUBLIC_KEY));
            bool continued = seen.ips.count(k) > 0;
            if (continued) {
                ++seen.continuations;
                // Only the first peer of a message continues the last of the one before.
                EXPECT_EQ(j, 0u);
                EXPECT_EQ(k, last);
                EXPECT_EQ(walk::types(attrs),
                          (std::vector<uint16_t>{WGPEER_A_PUBLIC_KEY, WGPEER_A_ALLOWEDIPS}));
            } else {
                seen.order.push_back(k);
                EXPECT_EQ(get(attrs, WGPEER_A_FLAGS).as<uint32_t>(),
                          uint32_t(WGPEER_F_REPLACE_ALLOWEDIPS));
            }
            auto& bucket = seen.ips[k];
            if (auto* list = walk::find(attrs, WGPEER_A_ALLOWEDIPS)) {
                EXPECT_FALSE(list->children().empty());
                for (auto& ip : list->children()) {
                    auto f = ip.children();
                    auto bytes = get(f, WGALLOWEDIP_A_IPADDR).bytes();
                    bytes.push_back(get(f, WGALLOWEDIP_A_CIDR_MASK).as<uint8_t>());
                    bucket.insert(bytes);
                }
            }
            last = k;
        }
    }
    return seen;
}

std::vector<uint8_t> rawIp(const Prefix& p) {
    std::vector<uint8_t> b(p.address.bytes.begin(), p.address.bytes.begin() + p.address.size());
    b.push_back(p.length);
    return b;
}

void expectEveryPeerOnce(const weft::WireguardLink& want, const Seen& seen) {
    ASSERT_EQ(seen.order.size(), want.peers.size());
    for (size_t i = 0; i < want.peers.size(); ++i) {
        ASSERT_EQ(seen.order[i], want.peers[i].publicKey);
        std::multiset<std::vector<uint8_t>> expected;
        for (auto& p : want.peers[i].allowedIps)
            expected.insert(rawIp(p));
        EXPECT_EQ(seen.ips.at(want.peers[i].publicKey), expected) << "peer " << i;
    }
}

TEST(WgGenlSet, AThousandPeersSplitUnderThePageBudget) {
    auto want = link(1000, 5);
    auto change = diffDevice(DeviceState{}, want);
    auto msgs = genl::encodeSetDevice("wg0", change, kFamily, 100);
    EXPECT_GT(msgs.size(), 10u);
    EXPECT_TRUE(msgs[0].deviceFields);
    for (size_t i = 1; i < msgs.size(); ++i)
        EXPECT_FALSE(msgs[i].deviceFields);
    auto seen = walkSplit(msgs, genl::kDefaultMessageLimit, 100);
    expectEveryPeerOnce(want, seen);
    auto first = walk::message(msgs[0].bytes);
    EXPECT_TRUE(walk::find(first.attrs, WGDEVICE_A_PRIVATE_KEY));
    EXPECT_TRUE(walk::find(first.attrs, WGDEVICE_A_LISTEN_PORT));
}

TEST(WgGenlSet, AllowedIpsContinueAcrossMessages) {
    auto want = link(1000, 3);
    for (unsigned j = 0; j < 400; ++j)  // far more than one message holds
        want.peers[500].allowedIps.push_back(allowedIp(5000 + j, j));
    auto msgs = genl::encodeSetDevice("wg0", diffDevice(DeviceState{}, want), kFamily, 1);
    auto seen = walkSplit(msgs, genl::kDefaultMessageLimit, 1);
    EXPECT_GE(seen.continuations, 3u);
    expectEveryPeerOnce(want, seen);
}

TEST(WgGenlSet, SmallestBudgetStillCarriesEverything) {
    auto want = link(200, 12);
    auto change = diffDevice(DeviceState{}, want);
    change.replacePeers = true;
    auto msgs = genl::encodeSetDevice("wg0", change, kFamily, 1, genl::kMinMessageLimit);
    auto seen = walkSplit(msgs, genl::kMinMessageLimit, 1);
    EXPECT_GT(seen.continuations, 50u);
    expectEveryPeerOnce(want, seen);
    // REPLACE_PEERS clears the list once, in the first message, before any peer.
    auto first = walk::message(msgs[0].bytes);
    EXPECT_EQ(get(first.attrs, WGDEVICE_A_FLAGS).as<uint32_t>(),
              uint32_t(WGDEVICE_F_REPLACE_PEERS));
}

TEST(WgGenlSet, OnePeerChangedAmongAThousandIsOneSmallMessage) {
    auto want = link(1000);
    auto have = stateOf(want);
    want.peers[321].allowedIps.pop_back();
    auto msgs = genl::encodeSetDevice("wg0", diffDevice(have, want), kFamily, 1);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].peers, std::vector<std::string>{key(321)});
    EXPECT_FALSE(msgs[0].deviceFields);
    auto m = walk::message(msgs[0].bytes);
    auto peer = get(m.attrs, WGDEVICE_A_PEERS).children().at(0).children();
    EXPECT_EQ(get(peer, WGPEER_A_FLAGS).as<uint32_t>(),
              uint32_t(WGPEER_F_REPLACE_ALLOWEDIPS | WGPEER_F_UPDATE_ONLY));
    EXPECT_EQ(get(peer, WGPEER_A_ALLOWEDIPS).children().size(), 3u);
}

}  // namespace
