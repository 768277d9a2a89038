// Every peer of the mesh: those from wireguard-mesh.conf, those added over D-Bus and those
// discovered in the cluster store.
//
// Invariants across all peers: names, public keys and exact AllowedIPs prefixes are unique,
// and no peer uses this node's own public key. Config peers win over runtime peers: a runtime
// peer that clashes with a config peer after a reload is dropped. Both win over discovered
// peers: a discovered peer that clashes is left out (shadowed) for as long as the clash lasts,
// and comes back by itself when it ends.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mesh_config.hpp"

namespace weft::mesh {

/// A runtime peer as text, as it arrives over D-Bus or from peers.json.
struct PeerArgs {
    std::string name;
    std::string publicKey;
    std::vector<std::string> endpoints;
    std::vector<std::string> allowedIps;
    uint32_t keepaliveSeconds = 0;  ///< 0: [Mesh] PersistentKeepalive=
};

/// Parses and checks a runtime peer on its own. Throws BusError("InvalidArgument") whose
/// message starts with the argument's name ("publicKey: ...").
PeerSpec runtimePeer(const PeerArgs& args);
/// An argument as an error message quotes it: at most 200 bytes, cut on a UTF-8 boundary, with
/// "…" and the full size when longer.
std::string clipped(const std::string& text);
/// 1-64 letters, digits, '_', '.', '-': the rule of config section names.
bool isPeerName(const std::string& name);
PeerArgs argsOf(const PeerSpec& peer);

class PeerRegistry {
  public:
    /// This node's public key; peers may not use it.
    void setOwnKey(std::string publicKey);

    /// Takes the config's peers. Returns one message per runtime peer dropped because it
    /// now clashes with a config peer.
    std::vector<std::string> setConfigPeers(std::vector<PeerSpec> peers);
    /// Adds runtime peers read back from disk; returns one message per peer skipped.
    std::vector<std::string> restoreRuntime(std::vector<PeerSpec> peers);

    /// Takes the discovered peers, in order of preference. Those that clash with a config or
    /// runtime peer, with this node's key or with an earlier discovered peer are left out
    /// until the clash ends; shadowed() says why.
    void setDiscoveredPeers(std::vector<PeerSpec> peers);

    /// Runtime changes. They throw BusError: "InvalidArgument" (bad or clashing values, a
    /// config peer; for update and remove also a discovered peer) or "NotFound", with the
    /// argument's name first in the message. A runtime peer may shadow a discovered one.
    void add(PeerSpec peer);
    void update(PeerSpec peer);
    void remove(const std::string& name);

    /// Config peers first, then runtime peers, each in order of arrival, then discovered ones.
    std::vector<PeerSpec> all() const;
    const std::vector<PeerSpec>& configPeers() const { return config_; }
    const std::vector<PeerSpec>& runtimePeers() const { return runtime_; }
    /// The discovered peers in use (not shadowed).
    const std::vector<PeerSpec>& discoveredPeers() const { return discovered_; }
    /// Discovered peers left out: name -> why ("publicKey: already used by peer b").
    const std::map<std::string, std::string>& shadowed() const { return shadowed_; }
    const PeerSpec* find(const std::string& name) const;

  private:
    /// Throws BusError("InvalidArgument") if `peer` clashes with any peer but `replacing`.
    void checkClash(const PeerSpec& peer, const std::string& replacing) const;
    void checkNotConfig(const std::string& name) const;
    void checkNotDiscovered(const std::string& name) const;
    /// Recomputes discovered_ and shadowed_ from the candidates.
    void pickDiscovered();

    std::string ownKey_;
    std::vector<PeerSpec> config_;
    std::vector<PeerSpec> runtime_;
    std::vector<PeerSpec> candidates_;  ///< every discovered peer, in order of preference
    std::vector<PeerSpec> discovered_;
    std::map<std::string, std::string> shadowed_;
};

}  // namespace weft::mesh
