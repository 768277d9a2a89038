// diffDevice: the one WireGuard differ, tested once for both back ends.
#include <gtest/gtest.h>

#include <algorithm>

#include "kernel/wireguard/wg_diff.hpp"
#include "wg_fixtures.hpp"

using namespace weft::kernel::wg;
using namespace wgtest;

namespace {

constexpr unsigned kPeers = 1000;

TEST(WgDiff, NothingChangedIsEmpty) {
    auto want = link(kPeers);
    auto change = diffDevice(stateOf(want), want);
    EXPECT_TRUE(change.empty());
    EXPECT_EQ(change.changedPeers(), 0u);
}

TEST(WgDiff, OrderAndRepeatsOfAllowedIpsDoNotMatter) {
    auto want = link(10);
    auto have = stateOf(want);
    std::reverse(have.peers[3].allowedIps.begin(), have.peers[3].allowedIps.end());
    want.peers[4].allowedIps.push_back(want.peers[4].allowedIps.front());
    std::reverse(have.peers.begin(), have.peers.end());
    EXPECT_TRUE(diffDevice(have, want).empty());
}

TEST(WgDiff, FreshDeviceGetsEverythingWhole) {
    auto want = link(3);
    auto c = diffDevice(DeviceState{}, want);
    EXPECT_EQ(c.privateKey, want.privateKey);
    EXPECT_EQ(c.listenPort, want.listenPort);
    EXPECT_EQ(c.fwmark, want.fwmark);
    EXPECT_FALSE(c.replacePeers);
    ASSERT_EQ(c.peers.size(), 3u);
    for (unsigned i = 0; i < 3; ++i) {
        const auto& p = c.peers[i];
        EXPECT_EQ(p.publicKey, want.peers[i].publicKey);
        EXPECT_FALSE(p.updateOnly);
        EXPECT_TRUE(p.replaceAllowedIps);
        auto ips = want.peers[i].allowedIps;
        std::sort(ips.begin(), ips.end());
        EXPECT_EQ(p.allowedIps, ips);
        EXPECT_EQ(p.endpoint, want.peers[i].endpoint);
        EXPECT_EQ(p.keepalive, std::chrono::seconds(25));
        EXPECT_EQ(p.presharedKey.has_value(), !want.peers[i].presharedKey.empty());
    }
}

TEST(WgDiff, AddingOnePeerOfAThousandTouchesOnlyIt) {
    auto want = link(kPeers);
    auto have = stateOf(want);
    want.peers.push_back(peer(kPeers));
    auto c = diffDevice(have, want);
    EXPECT_FALSE(c.hasDeviceFields());
    EXPECT_TRUE(c.removePeers.empty());
    ASSERT_EQ(c.peers.size(), 1u);
    EXPECT_EQ(c.peers[0].publicKey, key(kPeers));
    EXPECT_FALSE(c.peers[0].updateOnly);
    EXPECT_EQ(c.changedPeers(), 1u);
}

TEST(WgDiff, RemovingOnePeerOfAThousandTouchesOnlyIt) {
    auto want = link(kPeers);
    auto have = stateOf(want);
    want.peers.erase(want.peers.begin() + 500);
    auto c = diffDevice(have, want);
    EXPECT_FALSE(c.hasDeviceFields());
    EXPECT_TRUE(c.peers.empty());
    EXPECT_EQ(c.removePeers, std::vector<std::string>{key(500)});
}

TEST(WgDiff, EditingOnePeerOfAThousandSendsOnlyWhatChanged) {
    auto want = link(kPeers);
    auto have = stateOf(want);
    want.peers[700].endpoint = Endpoint{*Address::parse("127.0.9.9"), 4500};
    auto c = diffDevice(have, want);
    ASSERT_EQ(c.peers.size(), 1u);
    const auto& p = c.peers[0];
    EXPECT_EQ(p.publicKey, key(700));
    EXPECT_TRUE(p.updateOnly);
    EXPECT_EQ(p.endpoint, want.peers[700].endpoint);
    EXPECT_FALSE(p.replaceAllowedIps);
    EXPECT_TRUE(p.allowedIps.empty());
    EXPECT_FALSE(p.presharedKey);
    EXPECT_FALSE(p.keepalive);
    EXPECT_TRUE(c.removePeers.empty());
    EXPECT_FALSE(c.hasDeviceFields());
}

TEST(WgDiff, AllowedIpChangeReplacesThePeersList) {
    auto want = link(kPeers);
    auto have = stateOf(want);
    want.peers[42].allowedIps.push_back(prefix("192.168.42.0/24"));
    auto c = diffDevice(have, want);
    ASSERT_EQ(c.peers.size(), 1u);
    EXPECT_TRUE(c.peers[0].replaceAllowedIps);
    EXPECT_TRUE(c.peers[0].updateOnly);
    auto ips = want.peers[42].allowedIps;
    std::sort(ips.begin(), ips.end());
    EXPECT_EQ(c.peers[0].allowedIps, ips);
    EXPECT_FALSE(c.peers[0].endpoint);
}

TEST(WgDiff, KeepaliveAndPresharedKeyChanges) {
    auto want = link(6);
    auto have = stateOf(want);
    want.peers[1].persistentKeepalive = std::chrono::seconds(0);
    want.peers[3].presharedKey.clear();  // peer 3 had one: it is removed
    auto c = diffDevice(have, want);
    ASSERT_EQ(c.peers.size(), 2u);
    EXPECT_EQ(c.peers[0].keepalive, std::chrono::seconds(0));
    EXPECT_FALSE(c.peers[0].presharedKey);
    EXPECT_EQ(c.peers[1].presharedKey, std::string());
    EXPECT_FALSE(c.peers[1].keepalive);
}

TEST(WgDiff, UnsetEndpointKeepsTheRoamedOne) {
    auto want = link(4);
    auto have = stateOf(want);
    want.peers[2].endpoint.reset();
    EXPECT_TRUE(diffDevice(have, want).empty());
}

TEST(WgDiff, DeviceKeyPortAndFwmark) {
    auto want = link(10);
    auto have = stateOf(want);
    want.privateKey = key(1, 0x99);
    auto c = diffDevice(have, want);
    EXPECT_EQ(c.privateKey, want.privateKey);
    EXPECT_FALSE(c.listenPort);
    EXPECT_FALSE(c.fwmark);
    EXPECT_TRUE(c.peers.empty());

    want = link(10);
    want.listenPort = 51999;
    want.fwmark = 0x40;
    c = diffDevice(have, want);
    EXPECT_FALSE(c.privateKey);
    EXPECT_EQ(c.listenPort, 51999);
    EXPECT_EQ(c.fwmark, 0x40u);
    EXPECT_EQ(c.changedPeers(), 0u);
}

TEST(WgDiff, PortZeroKeepsThePortTheDevicePicked) {
    auto want = link(1);
    want.listenPort = 0;  // any port
    auto have = stateOf(want);
    have.listenPort = 40123;  // what the device picked
    EXPECT_TRUE(diffDevice(have, want).empty());
}

TEST(WgDiff, APeerListedTwiceCountsOnce) {
    auto want = link(2);
    want.peers.push_back(want.peers[0]);
    auto c = diffDevice(DeviceState{}, want);
    EXPECT_EQ(c.peers.size(), 2u);
}

}  // namespace
