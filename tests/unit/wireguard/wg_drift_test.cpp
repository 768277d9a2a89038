// describeDrift: what the drift poll reports for a WireGuard device, and what it ignores.
#include <gtest/gtest.h>

#include "kernel/wireguard/wg_drift.hpp"
#include "kernel/wireguard/wg_uapi.hpp"
#include "wg_fixtures.hpp"

using namespace weft::kernel::wg;
using namespace wgtest;

namespace {

TEST(WgDrift, AppliedDeviceHasNone) {
    auto want = link(1000);
    EXPECT_EQ(describeDrift(stateOf(want), want), std::nullopt);
}

TEST(WgDrift, NamesPortAndPeers) {
    auto want = link(10);
    want.listenPort = 51820;
    auto have = stateOf(want);
    have.listenPort = 40000;
    have.peers.erase(have.peers.begin());
    have.peers[2].allowedIps.clear();
    have.peers.push_back(have.peers.back());
    have.peers.back().publicKey = peer(500, 4).publicKey;  // not in `want`
    EXPECT_EQ(describeDrift(have, want),
              "listen port 40000, want 51820; 1 peer missing; 1 peer changed; 1 peer not wanted");
}

TEST(WgDrift, RoamedEndpointIsNotDrift) {
    auto want = link(3);
    auto have = stateOf(want);
    have.peers[1].endpoint = weft::Endpoint::parse("192.0.2.77:1234");
    EXPECT_EQ(describeDrift(have, want), std::nullopt);
}

TEST(UapiDeadline, GrowsWithTheRequest) {
    EXPECT_EQ(exchangeDeadline(0).count(), 500);
    // 1,000 new peers: ~190 kB, applied in ~0.3 s by a healthy wireguard-go.
    EXPECT_GT(exchangeDeadline(190'000).count(), 1000);
    EXPECT_LT(exchangeDeadline(190'000).count(), 2000);
}

}  // namespace
