// WG_CMD_GET_DEVICE decoding: replies shaped as the kernel sends them, built here, and the
// encode -> decode round trip of a 1,000-peer device.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <algorithm>
#include <system_error>

#include "kernel/wireguard/wg_diff.hpp"
#include "kernel/wireguard/wg_genl_codec.hpp"
#include "nla_walker.hpp"
#include "wg_fixtures.hpp"

using namespace weft::kernel::wg;
using namespace wgtest;

namespace {

constexpr uint16_t kFamily = 0x1d;
constexpr uint32_t kSeq = 4242;

void putIp(walk::Writer& w, const char* text) {
    auto p = prefix(text);
    w.begin(0);
    w.put(WGALLOWEDIP_A_FAMILY, uint16_t(p.family() == Family::V4 ? AF_INET : AF_INET6));
    w.put(WGALLOWEDIP_A_IPADDR, p.address.bytes.data(), p.address.size());
    w.put(WGALLOWEDIP_A_CIDR_MASK, uint8_t(p.length));
    w.end();
}

walk::Writer reply(uint16_t flags = NLM_F_MULTI) {
    walk::Writer w(kFamily, flags, kSeq);
    w.genl(WG_CMD_GET_DEVICE, WG_GENL_VERSION);
    w.put(WGDEVICE_A_IFNAME, "wg0", 4);
    return w;
}

std::vector<uint8_t> done(int error = 0) {
    walk::Writer w(NLMSG_DONE, NLM_F_MULTI, kSeq);
    w.payload(&error, sizeof error);
    return w.done();
}

std::vector<uint8_t> concat(std::vector<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> all;
    for (auto& p : parts)
        all.insert(all.end(), p.begin(), p.end());
    return all;
}

// Message 1: the device and peer A with two allowed IPs; message 2: A continued with one
// more allowed IP (key and allowed IPs only), then peer B.
std::vector<std::vector<uint8_t>> kernelDump() {
    auto m1 = reply();
    uint32_t ifindex = 7;
    m1.put(WGDEVICE_A_IFINDEX, ifindex);
    auto priv = rawKey(9, 0x11), pub = rawKey(9, 0x12);
    m1.put(WGDEVICE_A_PRIVATE_KEY, priv);
    m1.put(WGDEVICE_A_PUBLIC_KEY, pub);
    m1.put(WGDEVICE_A_LISTEN_PORT, uint16_t(51820));
    m1.put(WGDEVICE_A_FWMARK, uint32_t(0x20));
    m1.begin(WGDEVICE_A_PEERS);
    m1.begin(0);
    m1.put(WGPEER_A_PUBLIC_KEY, rawKey(1));
    m1.put(WGPEER_A_PRESHARED_KEY, weft::wg::RawKey{});  // the kernel's "none"
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(51821);
    sa.sin6_addr = in6addr_loopback;
    m1.put(WGPEER_A_ENDPOINT, sa);
    m1.put(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, uint16_t(25));
    struct {
        int64_t sec, nsec;
    } handshake{1700000000, 5};  // struct __kernel_timespec
    m1.put(WGPEER_A_LAST_HANDSHAKE_TIME, handshake);
    m1.put(WGPEER_A_RX_BYTES, uint64_t(1234));
    m1.put(WGPEER_A_TX_BYTES, uint64_t(5678));
    m1.begin(WGPEER_A_ALLOWEDIPS);
    putIp(m1, "10.0.0.0/24");
    putIp(m1, "fd00::/64");
    m1.end();
    m1.put(WGPEER_A_PROTOCOL_VERSION, uint32_t(1));
    m1.end();
    m1.end();

    auto m2 = reply();
    m2.begin(WGDEVICE_A_PEERS);
    m2.begin(0);
    m2.put(WGPEER_A_PUBLIC_KEY, rawKey(1));
    m2.begin(WGPEER_A_ALLOWEDIPS);
    putIp(m2, "10.1.0.0/16");
    m2.end();
    m2.end();
    m2.begin(0);
    m2.put(WGPEER_A_PUBLIC_KEY, rawKey(2));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(4500);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m2.put(WGPEER_A_ENDPOINT, sin);
    m2.put(WGPEER_A_PRESHARED_KEY, rawKey(2, 0x77));
    m2.end();
    m2.end();
    return {m1.done(), m2.done()};
}

TEST(WgGenlDump, CoalescesAPeerContinuedInTheNextMessage) {
    auto msgs = kernelDump();
    DeviceState d;
    auto first = genl::decodeGetDump(msgs[0].data(), msgs[0].size(), kFamily, kSeq, d);
    EXPECT_FALSE(first.done);
    auto rest = concat({msgs[1], done()});  // one receive buffer may hold several messages
    auto last = genl::decodeGetDump(rest.data(), rest.size(), kFamily, kSeq, d);
    EXPECT_TRUE(last.done);
    EXPECT_FALSE(last.interrupted);

    EXPECT_EQ(d.privateKey, key(9, 0x11));
    EXPECT_EQ(d.listenPort, 51820);
    EXPECT_EQ(d.fwmark, 0x20u);
    ASSERT_EQ(d.peers.size(), 2u);
    const auto& a = d.peers[0];
    EXPECT_EQ(a.publicKey, key(1));
    EXPECT_EQ(a.presharedKey, "");
    EXPECT_EQ(a.endpoint, Endpoint::parse("[::1]:51821"));
    EXPECT_EQ(a.keepalive, std::chrono::seconds(25));
    EXPECT_EQ(a.lastHandshake, 1700000000);
    EXPECT_EQ(a.rx, 1234u);
    EXPECT_EQ(a.tx, 5678u);
    EXPECT_EQ(a.allowedIps, (std::vector<Prefix>{prefix("10.0.0.0/24"), prefix("fd00::/64"),
                                                 prefix("10.1.0.0/16")}));
    const auto& b = d.peers[1];
    EXPECT_EQ(b.publicKey, key(2));
    EXPECT_EQ(b.presharedKey, key(2, 0x77));
    EXPECT_EQ(b.endpoint, Endpoint::parse("127.0.0.1:4500"));
    EXPECT_TRUE(b.allowedIps.empty());
}

TEST(WgGenlDump, ErrorsCarryTheKernelsErrno) {
    DeviceState d;
    auto failed = done(-ENODEV);
    try {
        genl::decodeGetDump(failed.data(), failed.size(), kFamily, kSeq, d);
        FAIL() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENODEV);
    }
    walk::Writer err(NLMSG_ERROR, 0, kSeq);
    nlmsgerr e{};
    e.error = -EOPNOTSUPP;
    err.payload(&e, sizeof e);
    auto b = err.done();
    EXPECT_THROW(genl::decodeGetDump(b.data(), b.size(), kFamily, kSeq, d), std::system_error);
}

TEST(WgGenlDump, InterruptedDumpAndStaleRepliesAreNoticed) {
    auto intr = reply(NLM_F_MULTI | NLM_F_DUMP_INTR).done();
    DeviceState d;
    EXPECT_TRUE(genl::decodeGetDump(intr.data(), intr.size(), kFamily, kSeq, d).interrupted);
    auto msgs = kernelDump();
    DeviceState ignored;
    auto p = genl::decodeGetDump(msgs[0].data(), msgs[0].size(), kFamily, kSeq + 1, ignored);
    EXPECT_FALSE(p.done);
    EXPECT_TRUE(ignored.peers.empty());
}

TEST(WgGenlDump, MalformedKeyIsRefused) {
    auto m = reply();
    m.begin(WGDEVICE_A_PEERS);
    m.begin(0);
    m.put(WGPEER_A_PUBLIC_KEY, "short", 5);
    m.end();
    m.end();
    auto b = m.done();
    DeviceState d;
    EXPECT_THROW(genl::decodeGetDump(b.data(), b.size(), kFamily, kSeq, d), std::runtime_error);
}

// SET and GET share their attribute tree and their continuation scheme, so SET messages
// re-headed as dump replies must decode to the device they configure.
TEST(WgGenlDump, RoundTripOfAThousandPeers) {
    auto want = link(1000, 6);
    for (unsigned j = 0; j < 300; ++j)
        want.peers[999].allowedIps.push_back(allowedIp(7000 + j, j));
    auto msgs = genl::encodeSetDevice("wg0", diffDevice(DeviceState{}, want), kFamily, 1, 1024);
    ASSERT_GT(msgs.size(), 100u);
    std::vector<uint8_t> buffer;
    DeviceState d;
    for (auto& m : msgs) {
        auto b = m.bytes;
        nlmsghdr h;
        std::memcpy(&h, b.data(), sizeof h);
        h.nlmsg_flags = NLM_F_MULTI;
        h.nlmsg_seq = kSeq;
        std::memcpy(b.data(), &h, sizeof h);
        b[sizeof h] = WG_CMD_GET_DEVICE;
        buffer.insert(buffer.end(), b.begin(), b.end());
        if (buffer.size() > 8000) {  // hand over several messages per "receive"
            genl::decodeGetDump(buffer.data(), buffer.size(), kFamily, kSeq, d);
            buffer.clear();
        }
    }
    auto tail = concat({buffer, done()});
    EXPECT_TRUE(genl::decodeGetDump(tail.data(), tail.size(), kFamily, kSeq, d).done);

    EXPECT_EQ(d.privateKey, want.privateKey);
    EXPECT_EQ(d.listenPort, want.listenPort);
    EXPECT_EQ(d.fwmark, want.fwmark);
    ASSERT_EQ(d.peers.size(), want.peers.size());
    for (size_t i = 0; i < d.peers.size(); ++i) {
        auto ips = want.peers[i].allowedIps;
        std::sort(ips.begin(), ips.end());
        EXPECT_EQ(d.peers[i].publicKey, want.peers[i].publicKey);
        EXPECT_EQ(d.peers[i].presharedKey, want.peers[i].presharedKey);
        EXPECT_EQ(d.peers[i].endpoint, want.peers[i].endpoint);
        EXPECT_EQ(d.peers[i].keepalive, want.peers[i].persistentKeepalive);
        EXPECT_EQ(d.peers[i].allowedIps, ips) << "peer " << i;
    }
    // Read back, the device needs no change.
    EXPECT_TRUE(diffDevice(d, want).empty());
}

}  // namespace
