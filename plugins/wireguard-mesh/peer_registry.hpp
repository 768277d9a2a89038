// Every peer of the mesh: those from wireguard-mesh.conf and those added over D-Bus.
//
// Invariants across all peers: names, public keys and exact AllowedIPs prefixes are unique,
// and no peer uses this node's own public key. Config peers win: a runtime peer that clashes
// with a config peer after a reload is dropped.
#pragma once

#include <cstdint>
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
PeerArgs argsOf(const PeerSpec& peer);

class PeerRegistry {
  public:
    /// This node's public key; peers may not use it.
    void setOwnKey(std::string publicKey) { ownKey_ = std::move(publicKey); }

    /// Takes the config's peers. Returns one message per runtime peer dropped because it
    /// now clashes with a config peer.
    std::vector<std::string> setConfigPeers(std::vector<PeerSpec> peers);
    /// Adds runtime peers read back from disk; returns one message per peer skipped.
    std::vector<std::string> restoreRuntime(std::vector<PeerSpec> peers);

    /// Runtime changes. They throw BusError: "InvalidArgument" (bad or clashing values, a
    /// config peer) or "NotFound", with the argument's name first in the message.
    void add(PeerSpec peer);
    void update(PeerSpec peer);
    void remove(const std::string& name);

    /// Config peers first, then runtime peers, each in order of arrival.
    std::vector<PeerSpec> all() const;
    const std::vector<PeerSpec>& configPeers() const { return config_; }
    const std::vector<PeerSpec>& runtimePeers() const { return runtime_; }
    const PeerSpec* find(const std::string& name) const;

  private:
    /// Throws BusError("InvalidArgument") if `peer` clashes with any peer but `replacing`.
    void checkClash(const PeerSpec& peer, const std::string& replacing) const;
    void checkNotConfig(const std::string& name) const;

    std::string ownKey_;
    std::vector<PeerSpec> config_;
    std::vector<PeerSpec> runtime_;
};

}  // namespace weft::mesh
