// Per-peer health from WireGuard's handshake times.
//
// up: the last known handshake is younger than PeerDownAfter. unknown: never a handshake, and the
// peer has been known for less than PeerDownAfter. down: otherwise. WireGuard rekeys every
// 120 s (REKEY_AFTER_TIME) while packets flow and drops a session after 180 s
// (REJECT_AFTER_TIME); persistent keepalives keep packets flowing, so a live peer handshakes
// at least every ~2 minutes and the default 275 s leaves a full rekey cycle plus retries.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "weft/state.hpp"

namespace weft::mesh {

enum class PeerState { Unknown, Up, Down };
std::string_view stateName(PeerState state);

/// What is known about one peer.
struct PeerStatus {
    PeerState state = PeerState::Unknown;
    int64_t lastHandshake = 0;  ///< unix seconds, 0 = never
    uint64_t rxBytes = 0, txBytes = 0;
};

class PeerHealth {
  public:
    using TimePoint = std::chrono::system_clock::time_point;

    /// Starts tracking a peer (its "unknown" grace period starts now); no-op if tracked.
    void track(const std::string& peer, TimePoint now);
    /// Takes the kernel's counters and handshake time of a tracked peer. The handshake time
    /// only moves forward: a kernel's reset to 0 keeps the last known one.
    void observe(const std::string& peer, const WireguardPeerStatus& status);
    /// Re-evaluates a tracked peer; returns its new state if it changed.
    std::optional<PeerState> evaluate(const std::string& peer, TimePoint now,
                                      std::chrono::milliseconds peerDownAfter);
    /// The peer's status; a default (unknown) one for untracked peers.
    PeerStatus status(const std::string& peer) const;
    void forget(const std::string& peer) { peers_.erase(peer); }
    void clear() { peers_.clear(); }
    /// Forgets every peer not named in `peers`.
    void retain(const std::set<std::string>& peers);

  private:
    struct Record {
        PeerStatus status;
        TimePoint since;
    };
    std::map<std::string, Record> peers_;
};

}  // namespace weft::mesh
