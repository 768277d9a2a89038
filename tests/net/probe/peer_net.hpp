// The test network: this process's namespace ("ours") and a peer namespace reached over a veth
// pair, plus a second veth pair that leads nowhere. The peer namespace is held by an fd only,
// so it vanishes with the test process even when a test crashes.
//
//   ours wp0 10.66.0.1/24 fd66::1/64 ---- wp1 10.66.0.2/24 fd66::2/64 10.67.0.2/32  peer
//   ours wx0 (no address)            ---- wx1 (no address)                           peer
//
// 10.66.0.3 / fd66::3: dead (a permanent neighbour entry to a MAC nobody has: silence).
// 10.67.0.2: only in table 166, used by `ip rule fwmark 0x42 lookup 166`; no route in main.
// 10.68.0.0/24, fd68::/64: routed to the peer, which answers ICMP unreachable (an unreachable
// route there, forwarding on).
#pragma once

#include <functional>
#include <string>

#include "../shell_cmd.hpp"
#include "weft/prefix.hpp"

namespace weft::test {

inline constexpr const char* kOurLink = "wp0";
inline constexpr const char* kDeadEndLink = "wx0";
inline constexpr uint32_t kPeerMark = 0x42;

class PeerNet {
  public:
    /// Built on first use, once per test process; throws if the setup fails.
    static PeerNet& get();

    /// Runs `fn` in the peer namespace: the sockets it opens and the commands it runs live there.
    void inPeer(const std::function<void()>& fn);
    /// Runs a shell command in the peer namespace; throws when it fails.
    void peerSh(const std::string& cmd);

  private:
    PeerNet();
    int ours_ = -1;
    int peer_ = -1;
};

/// Runs a shell command; throws when it fails (setup, not the thing under test).
void mustSh(const std::string& cmd);

/// Parses a literal address of the test network.
Address addr(const char* text);

}  // namespace weft::test
