// The cross-platform WireGuard UAPI (wireguard-go's /run/wireguard/IFACE.sock).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "weft/state.hpp"

namespace weft::kernel::wg {

/// A device as the UAPI reports it. Keys are base64 here (the protocol speaks hex).
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
        int64_t lastHandshake = 0;
        uint64_t rx = 0, tx = 0;
    };
    std::vector<Peer> peers;
};

/// Parses a "get=1" reply (lines of key=value). Throws std::runtime_error on errno != 0.
DeviceState parseGet(const std::string& reply);

class UapiClient {
  public:
    explicit UapiClient(std::filesystem::path socketDir) : dir_(std::move(socketDir)) {}
    std::filesystem::path socketPath(const std::string& ifname) const {
        return dir_ / (ifname + ".sock");
    }
    /// True if something answers on the device's socket.
    bool alive(const std::string& ifname) const;
    DeviceState get(const std::string& ifname) const;
    /// Sends "set=1" with `body` (lines ending in \n). Throws std::runtime_error with the errno.
    void set(const std::string& ifname, const std::string& body) const;

  private:
    std::string exchange(const std::string& ifname, const std::string& request) const;
    std::filesystem::path dir_;
};

/// The UAPI "set" body that takes `have` to `want`, touching only what differs; empty when
/// nothing does. `changedPeers` counts the peers it touches.
std::string diffToUapi(const DeviceState& have, const WireguardLink& want, unsigned& changedPeers);

}  // namespace weft::kernel::wg
