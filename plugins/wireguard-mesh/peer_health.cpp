#include "peer_health.hpp"

#include <algorithm>

namespace weft::mesh {

std::string_view stateName(PeerState state) {
    switch (state) {
        case PeerState::Up:
            return "up";
        case PeerState::Down:
            return "down";
        case PeerState::Unknown:
            break;
    }
    return "unknown";
}

void PeerHealth::track(const std::string& peer, TimePoint now) {
    peers_.try_emplace(peer, Record{PeerStatus{}, now});
}

void PeerHealth::observe(const std::string& peer, const WireguardPeerStatus& status) {
    auto it = peers_.find(peer);
    if (it == peers_.end())
        return;
    // wireguard-go restarting or the peer being re-added resets the kernel's handshake time to
    // 0: that says nothing about the peer, so health keeps the last one and goes by time only.
    auto& known = it->second.status.lastHandshake;
    known = std::max(known, status.lastHandshake);
    it->second.status.rxBytes = status.rxBytes;
    it->second.status.txBytes = status.txBytes;
}

std::optional<PeerState> PeerHealth::evaluate(const std::string& peer, TimePoint now,
                                              std::chrono::milliseconds peerDownAfter) {
    auto it = peers_.find(peer);
    if (it == peers_.end())
        return std::nullopt;
    Record& r = it->second;
    PeerState next = PeerState::Down;
    if (r.status.lastHandshake > 0) {
        TimePoint handshake{std::chrono::seconds(r.status.lastHandshake)};
        if (now - handshake < peerDownAfter)
            next = PeerState::Up;
    } else if (now - r.since < peerDownAfter) {
        next = PeerState::Unknown;
    }
    if (next == r.status.state)
        return std::nullopt;
    r.status.state = next;
    return next;
}

PeerStatus PeerHealth::status(const std::string& peer) const {
    auto it = peers_.find(peer);
    return it == peers_.end() ? PeerStatus{} : it->second.status;
}

void PeerHealth::retain(const std::set<std::string>& peers) {
    std::erase_if(peers_, [&](const auto& entry) { return !peers.count(entry.first); });
}

}  // namespace weft::mesh
