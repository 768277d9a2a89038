// Which endpoint each peer uses now: one of its Endpoint= candidates, or the one WireGuard
// found working.
//
// The clock of a candidate starts when the kernel first shows the peer (so a slow first
// reconcile costs no candidate) and restarts at each switch. At first sight a peer takes the
// endpoint the kernel already has when it is one of its candidates (a weftd restart keeps a
// working choice). While the peer is up (a handshake younger than PeerDownAfter) it keeps
// whatever endpoint the kernel reports: WireGuard roams to the address authenticated packets
// come from, and weft never fights that. Only a peer that is down or unknown moves on, after
// EndpointTimeout without a handshake, to the next candidate, round-robin. A handshake time
// that goes backwards (wireguard-go restarted, the peer was re-added) restarts the clock.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mesh_config.hpp"
#include "weft/prefix.hpp"

namespace weft::mesh {

using TimePoint = std::chrono::system_clock::time_point;

/// A peer's candidates: its Endpoint= values that EndpointFilter= allows. An endpoint inside
/// some peer's AllowedIPs is fine (KubeSpan advertises node addresses): WireGuard's own packets
/// carry FirewallMark, which steering skips, so they never enter the tunnel they carry.
std::vector<Endpoint> usableEndpoints(const PeerSpec& peer, const EndpointFilter& filter);

class EndpointRotation {
  public:
    struct Timing {
        std::chrono::milliseconds endpointTimeout;
        std::chrono::milliseconds peerDownAfter;
    };

    /// The endpoint the peer uses now; nullopt without candidates and working endpoint.
    std::optional<Endpoint> current(const std::string& peer,
                                    const std::vector<Endpoint>& candidates) const;
    /// Takes the kernel's view of a peer it has (endpoint, last handshake); returns true if
    /// the peer's endpoint changed (adopted or roamed: the kernel has it already).
    bool observe(const std::string& peer, const std::vector<Endpoint>& candidates,
                 const WireguardPeerStatus& status, TimePoint now, const Timing& timing);
    /// Moves a peer that is not up and whose endpoint had its EndpointTimeout to the next
    /// candidate; returns true if its endpoint changed (the kernel must be told).
    bool rotate(const std::string& peer, const std::vector<Endpoint>& candidates, TimePoint now,
                const Timing& timing);
    /// Starts the peer over on its first candidate (new key or candidates, removed peer).
    void forget(const std::string& peer) { slots_.erase(peer); }
    void clear() { slots_.clear(); }
    /// Forgets every peer not named in `peers`.
    void retain(const std::set<std::string>& peers);

  private:
    struct Slot {
        size_t index = 0;
        std::optional<TimePoint> since;   ///< when the current endpoint got its chance
        int64_t kernelHandshake = 0;      ///< as the kernel last reported it
        int64_t handshake = 0;            ///< the latest known, kept when the kernel's resets
        std::optional<Endpoint> working;  ///< the kernel's endpoint while the peer is up
    };
    static std::optional<Endpoint> current(const Slot& slot,
                                           const std::vector<Endpoint>& candidates);
    static bool up(const Slot& slot, TimePoint now, const Timing& timing);

    std::map<std::string, Slot> slots_;
};

}  // namespace weft::mesh
