#include "peer_tracker.hpp"

#include <algorithm>

namespace weft::mesh {

std::vector<Endpoint> PeerTracker::candidates(const PeerSpec& p, const MeshSettings& s) {
    std::vector<Endpoint> out;
    for (auto& e : p.endpoints) {
        bool allowed = s.endpointFilter.empty() ||
                       std::any_of(s.endpointFilter.begin(), s.endpointFilter.end(),
                                   [&](auto& f) { return f.contains(e.address); });
        if (allowed)
            out.push_back(e);
    }
    return out;
}

std::optional<Endpoint> PeerTracker::endpointOf(const PeerSpec& p, const MeshSettings& s) {
    auto c = candidates(p, s);
    if (c.empty())
        return std::nullopt;
    auto& rt = peers_[p.name];
    if (rt.switchedAt == std::chrono::system_clock::time_point{})
        rt.switchedAt = clock_();
    return c[rt.endpointIndex % c.size()];
}

PeerTracker::Changes PeerTracker::update(const MeshSettings& s,
                                         const std::vector<WireguardPeerStatus>& status) {
    Changes ch;
    auto now = clock_();
    int64_t nowSec =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    for (auto& p : s.peers) {
        auto& rt = peers_[p.name];
        // First sight: the current endpoint gets its full timeout from now.
        if (rt.switchedAt == std::chrono::system_clock::time_point{})
            rt.switchedAt = now;
        auto st = std::find_if(status.begin(), status.end(),
                               [&](auto& x) { return x.publicKey == p.publicKey; });
        if (st != status.end()) {
            rt.lastHandshake = st->lastHandshake;
            rt.rx = st->rxBytes;
            rt.tx = st->txBytes;
        }
        auto downAfter = std::chrono::duration_cast<std::chrono::seconds>(s.peerDownAfter).count();
        std::string state;
        if (rt.lastHandshake > 0 && nowSec - rt.lastHandshake < downAfter)
            state = "up";
        else if (rt.lastHandshake == 0 && now - startedAt_ < s.peerDownAfter)
            state = "unknown";
        else
            state = "down";
        if (state != rt.state) {
            rt.state = state;
            ch.states.emplace_back(p.name, state);
        }
        // No handshake since we switched to this endpoint, for too long: try the next one.
        auto c = candidates(p, s);
        int64_t switched =
            std::chrono::duration_cast<std::chrono::seconds>(rt.switchedAt.time_since_epoch())
                .count();
        bool handshakeSinceSwitch = rt.lastHandshake > 0 && rt.lastHandshake >= switched;
        if (c.size() > 1 && !handshakeSinceSwitch && now - rt.switchedAt >= s.endpointTimeout) {
            rt.endpointIndex = (rt.endpointIndex + 1) % c.size();
            rt.switchedAt = now;
            ch.endpointsMoved = true;
        }
    }
    return ch;
}

}  // namespace weft::mesh
