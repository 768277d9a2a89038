// Per-peer health and endpoint rotation, driven by WireGuard's handshake times.
//
// A peer is up while its last handshake is younger than PeerDownAfter, unknown until it has
// had one (for PeerDownAfter after start), down otherwise. A peer with several candidate
// endpoints that gets no handshake within EndpointTimeout of switching moves to the next
// candidate, round-robin, and stays on one that works.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mesh_config.hpp"
#include "weft/state.hpp"

namespace weft::mesh {

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct PeerRuntime {
    std::string state = "unknown";  ///< up, down, unknown
    size_t endpointIndex = 0;
    std::chrono::system_clock::time_point switchedAt{};
    int64_t lastHandshake = 0;
    uint64_t rx = 0, tx = 0;
};

class PeerTracker {
  public:
    explicit PeerTracker(Clock clock) : clock_(std::move(clock)), startedAt_(clock_()) {}

    /// Candidate endpoints of a peer after the EndpointFilter.
    static std::vector<Endpoint> candidates(const PeerSpec& p, const MeshSettings& s);
    /// The endpoint a peer should use now.
    std::optional<Endpoint> endpointOf(const PeerSpec& p, const MeshSettings& s);

    struct Changes {
        std::vector<std::pair<std::string, std::string>> states;  ///< (peer, new state)
        bool endpointsMoved = false;
    };
    /// Takes new status from the kernel; returns what changed.
    Changes update(const MeshSettings& s, const std::vector<WireguardPeerStatus>& status);

    const PeerRuntime& runtime(const std::string& name) { return peers_[name]; }
    void forget(const std::string& name) { peers_.erase(name); }

  private:
    Clock clock_;
    std::chrono::system_clock::time_point startedAt_;
    std::map<std::string, PeerRuntime> peers_;
};

}  // namespace weft::mesh
