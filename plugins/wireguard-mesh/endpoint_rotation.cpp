#include "endpoint_rotation.hpp"

#include <algorithm>

namespace weft::mesh {

std::vector<Endpoint> usableEndpoints(const PeerSpec& peer, const EndpointFilter& filter) {
    std::vector<Endpoint> out;
    for (auto& e : peer.endpoints) {
        if (filter.allows(e.address))
            out.push_back(e);
    }
    return out;
}

std::optional<Endpoint> EndpointRotation::current(const Slot& slot,
                                                  const std::vector<Endpoint>& candidates) {
    if (slot.working)
        return slot.working;
    if (candidates.empty())
        return std::nullopt;
    return candidates[slot.index % candidates.size()];
}

std::optional<Endpoint> EndpointRotation::current(const std::string& peer,
                                                  const std::vector<Endpoint>& candidates) const {
    auto it = slots_.find(peer);
    return current(it == slots_.end() ? Slot{} : it->second, candidates);
}

bool EndpointRotation::up(const Slot& slot, TimePoint now, const Timing& timing) {
    return slot.handshake > 0 &&
           now - TimePoint(std::chrono::seconds(slot.handshake)) < timing.peerDownAfter;
}

bool EndpointRotation::observe(const std::string& peer, const std::vector<Endpoint>& candidates,
                               const WireguardPeerStatus& status, TimePoint now,
                               const Timing& timing) {
    Slot& slot = slots_[peer];
    auto before = current(slot, candidates);
    auto position = [&](const Endpoint& e) {
        return size_t(std::find(candidates.begin(), candidates.end(), e) - candidates.begin());
    };
    if (!slot.since) {
        slot.since = now;
        if (status.endpoint && position(*status.endpoint) < candidates.size())
            slot.index = position(*status.endpoint);
    } else if (status.lastHandshake < slot.kernelHandshake) {
        slot.since = now;  // a new session starts: a fresh chance, not a verdict on the endpoint
    }
    slot.kernelHandshake = status.lastHandshake;
    slot.handshake = std::max(slot.handshake, status.lastHandshake);
    if (up(slot, now, timing) && status.endpoint) {
        slot.working = status.endpoint;
        if (position(*status.endpoint) < candidates.size())
            slot.index = position(*status.endpoint);
    }
    return current(slot, candidates) != before;
}

bool EndpointRotation::rotate(const std::string& peer, const std::vector<Endpoint>& candidates,
                              TimePoint now, const Timing& timing) {
    auto it = slots_.find(peer);
    if (it == slots_.end() || !it->second.since)
        return false;  // the kernel has not shown the peer yet
    Slot& slot = it->second;
    if (up(slot, now, timing))
        return false;
    auto before = current(slot, candidates);
    if (slot.working) {
        // Down: what WireGuard found is gone. A roamed address goes back to the candidates.
        bool candidate =
            std::find(candidates.begin(), candidates.end(), *slot.working) != candidates.end();
        slot.working.reset();
        if (!candidate) {
            slot.since = now;
            return current(slot, candidates) != before;
        }
    }
    if (candidates.size() < 2 || now - *slot.since < timing.endpointTimeout)
        return false;
    slot.index = (slot.index + 1) % candidates.size();
    slot.since = now;
    return true;
}

void EndpointRotation::retain(const std::set<std::string>& peers) {
    std::erase_if(slots_, [&](const auto& entry) { return !peers.count(entry.first); });
}

}  // namespace weft::mesh
