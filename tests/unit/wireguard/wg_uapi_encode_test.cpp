// The UAPI text encoder, for the same kind of DeviceChange the netlink encoder gets.
#include <gtest/gtest.h>

#include "kernel/wireguard/wg_diff.hpp"
#include "kernel/wireguard/wg_uapi.hpp"
#include "wg_fixtures.hpp"

using namespace weft::kernel::wg;
using namespace wgtest;

namespace {

std::string hex(unsigned i, uint8_t salt = 0x42) {
    return weft::wg::keyToHex(rawKey(i, salt));
}

TEST(WgUapiEncode, EveryKindOfChange) {
    DeviceChange c = sampleChange();
    c.fwmark = 32;
    c.peers[0].allowedIps[1] = prefix("fd00::/120");
    c.peers[1].presharedKey = "";  // removes it

    std::string want = "private_key=" + hex(9, 0x11) +
                       "\n"
                       "listen_port=51820\n"
                       "fwmark=32\n"
                       "public_key=" +
                       hex(1) +
                       "\n"
                       "remove=true\n"
                       "public_key=" +
                       hex(2) +
                       "\n"
                       "preshared_key=" +
                       hex(2, 0x77) +
                       "\n"
                       "endpoint=127.0.0.2:51820\n"
                       "persistent_keepalive_interval=25\n"
                       "replace_allowed_ips=true\n"
                       "allowed_ip=10.0.0.2/32\n"
                       "allowed_ip=fd00::/120\n"
                       "public_key=" +
                       hex(3) +
                       "\n"
                       "update_only=true\n"
                       "preshared_key=" +
                       std::string(64, '0') +
                       "\n"
                       "endpoint=[::1]:4500\n";
    EXPECT_EQ(encodeUapiSet(c), want);
}

// A session restart is one set: wireguard-go removes the peer, then creates it with the same
// settings (and no keypairs), before anything else can use it.
TEST(WgUapiEncode, SessionRestartRemovesThenAddsThePeerAsItWas) {
    DeviceState::Peer p;
    p.publicKey = key(2);
    p.presharedKey = key(2, 0x77);
    p.endpoint = weft::Endpoint::parse("127.0.0.2:51820");
    p.keepalive = std::chrono::seconds(2);
    p.allowedIps = {prefix("fd00::/64"), prefix("10.0.0.2/32")};
    p.lastHandshake = 1'700'000'000;
    p.rx = p.tx = 100;
    EXPECT_EQ(encodeUapiSet(sessionRestart(p)),
              "public_key=" + hex(2) + "\nremove=true\npublic_key=" + hex(2) +
                  "\npreshared_key=" + hex(2, 0x77) +
                  "\nendpoint=127.0.0.2:51820\npersistent_keepalive_interval=2\n"
                  "replace_allowed_ips=true\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00::/64\n");

    p.presharedKey.clear();
    p.endpoint.reset();
    p.keepalive = std::chrono::seconds(0);
    EXPECT_EQ(encodeUapiSet(sessionRestart(p)),
              "public_key=" + hex(2) + "\nremove=true\npublic_key=" + hex(2) +
                  "\nreplace_allowed_ips=true\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00::/64\n")
        << "what the peer did not have is not sent";
}

TEST(WgUapiEncode, ReplacePeersAndKeyRemoval) {
    DeviceChange c;
    c.privateKey = "";
    c.replacePeers = true;
    EXPECT_EQ(encodeUapiSet(c), "private_key=" + std::string(64, '0') + "\nreplace_peers=true\n");
}

TEST(WgUapiEncode, EmptyChangeIsEmptyBody) {
    EXPECT_EQ(encodeUapiSet(DeviceChange{}), "");
}

TEST(WgUapiEncode, BadKeyThrows) {
    DeviceChange c;
    c.removePeers = {"not a key"};
    EXPECT_THROW(encodeUapiSet(c), std::invalid_argument);
}

TEST(WgUapiEncode, OnePeerOfAThousandChangedIsOnePeerInTheBody) {
    auto want = link(1000);
    auto have = stateOf(want);
    want.peers[10].allowedIps.pop_back();
    auto change = diffDevice(have, want);  // as the engine's userspace apply does
    std::string body = encodeUapiSet(change);
    EXPECT_EQ(change.changedPeers(), 1u);
    EXPECT_EQ(body.find("public_key="), 0u);
    EXPECT_EQ(body.find("public_key=", 1), std::string::npos);
    EXPECT_NE(body.find("replace_allowed_ips=true\n"), std::string::npos);
    auto none = diffDevice(have, link(1000));
    EXPECT_TRUE(encodeUapiSet(none).empty());
    EXPECT_EQ(none.changedPeers(), 0u);
}

}  // namespace
