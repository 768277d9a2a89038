// Notices a peer whose WireGuard session is dead on the far side, so it can be restarted.
//
// Two nodes that configure each other at the same instant both initiate a handshake. Now and
// then wireguard-go ends that race with each side holding a keypair the other has dropped:
// both send keepalives, one side decrypts nothing. WireGuard re-keys such a pair only when
// data goes unanswered for 15 s from the side that is not receiving, or after 120-180 s; a
// mesh should not wait that long. With persistent keepalives due from the peer, a session
// that received nothing for two keepalive intervals (plus slack) is dead, and a fresh one
// (Host::restartWireguardSession) costs one handshake.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "weft/state.hpp"

namespace weft::mesh {

class SessionWatchdog {
  public:
    using TimePoint = std::chrono::system_clock::time_point;
    static constexpr std::chrono::seconds kSlack{3};

    /// Takes one reading of a peer's kernel status. True if its session should be restarted:
    /// the kernel holds a session (a handshake), keepalives are due (`keepalive` > 0, as every
    /// node of a weft mesh sets them), and no byte arrived for 2 x keepalive + kSlack since the
    /// first reading, the last byte received or the last restart. A peer without a session
    /// (never handshaken, or restarted and not yet again) is WireGuard's to bring up.
    bool stalled(const std::string& peer, const WireguardPeerStatus& kernel,
                 std::chrono::seconds keepalive, TimePoint now);
    /// The peer's session was restarted at `now`: its clock starts over.
    void restarted(const std::string& peer, TimePoint now);
    void forget(const std::string& peer) { peers_.erase(peer); }
    /// Forgets every peer not named in `peers`.
    void retain(const std::set<std::string>& peers);

  private:
    struct Record {
        uint64_t rx = 0;
        TimePoint since;  ///< last change of rx, first reading or last restart
    };
    std::map<std::string, Record> peers_;
};

}  // namespace weft::mesh
