// The back-end-neutral vocabulary of WireGuard devices: a device as read back, and the change
// that takes it to the desired one. The diff produces a DeviceChange; the UAPI text encoder and
// the generic netlink encoder each turn it into their own wire format.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "weft/config.hpp"
#include "weft/prefix.hpp"

namespace weft::kernel::wg {

/// A device as a back end reports it. Keys are base64 here (the UAPI speaks hex, netlink raw
/// bytes); an absent key is the empty string.
struct DeviceState {
    std::string privateKey;
    uint16_t listenPort = 0;
    uint32_t fwmark = 0;
    struct Peer {
        std::string publicKey;
        std::string presharedKey;  ///< empty = none
        std::optional<Endpoint> endpoint;
        std::vector<Prefix> allowedIps;
        std::chrono::seconds keepalive{0};
        int64_t lastHandshake = 0;  ///< unix seconds, 0 = never
        uint64_t rx = 0, tx = 0;
    };
    std::vector<Peer> peers;
};

/// One peer to add or update. Fields left unset are not sent, so the device keeps them.
struct PeerChange {
    std::string publicKey;                    ///< base64
    std::optional<std::string> presharedKey;  ///< base64; "" removes it
    std::optional<Endpoint> endpoint;
    std::optional<std::chrono::seconds> keepalive;
    /// True: the peer's allowed IPs become exactly `allowedIps` (replace, then add). False:
    /// they are left alone and `allowedIps` is empty.
    bool replaceAllowedIps = false;
    std::vector<Prefix> allowedIps;
    /// The peer exists already: change it only if it still does, so a partial update (say, a
    /// new endpoint alone) never creates a half-configured peer that someone removed meanwhile.
    bool updateOnly = false;
    bool operator==(const PeerChange&) const = default;
};

/// What to send to take a device from one state to another; unchanged things are absent.
struct DeviceChange {
    std::optional<std::string> privateKey;  ///< base64; "" removes it
    std::optional<uint16_t> listenPort;
    std::optional<uint32_t> fwmark;
    /// Remove every peer before applying `peers`. diffDevice never sets it; it is for callers
    /// that write a whole device (the encoders send it once, before any peer).
    bool replacePeers = false;
    std::vector<std::string> removePeers;  ///< base64 public keys of peers to remove
    std::vector<PeerChange> peers;         ///< peers to add or update, in the desired order

    bool hasDeviceFields() const { return privateKey || listenPort || fwmark || replacePeers; }
    bool empty() const { return !hasDeviceFields() && removePeers.empty() && peers.empty(); }
    /// Peers this change touches (removed, added or updated).
    unsigned changedPeers() const { return unsigned(removePeers.size() + peers.size()); }
    bool operator==(const DeviceChange&) const = default;
};

}  // namespace weft::kernel::wg
