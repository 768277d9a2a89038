// The cross-platform WireGuard UAPI (wireguard-go's /run/wireguard/IFACE.sock).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/state.hpp"
#include "wg_device.hpp"

namespace weft::kernel::wg {

/// Parses a "get=1" reply (lines of key=value). Throws std::runtime_error on errno != 0.
DeviceState parseGet(const std::string& reply);

/// Nothing listens on the device's socket (no socket file, or connection refused): wireguard-go
/// is not running.
struct UapiUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};
/// wireguard-go accepted the connection but did not take the request or answer it in time: it
/// runs but is busy (e.g. stuck sending handshakes to an unreachable neighbour). What it read
/// of a "set" before the deadline may be applied; the next diff sends the rest.
struct UapiTimeout : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// How long an exchange of `requestBytes` may take in all (connect, write, reply): 500 ms plus
/// 4 us a byte. wireguard-go applies 1,000 new peers (~190 kB) in ~0.3 s, so a healthy device
/// never comes near it, and a busy one stalls weftd's loop for at most ~1.3 s.
std::chrono::milliseconds exchangeDeadline(size_t requestBytes);

class UapiClient {
  public:
    explicit UapiClient(std::filesystem::path socketDir) : dir_(std::move(socketDir)) {}
    std::filesystem::path socketPath(const std::string& ifname) const {
        return dir_ / (ifname + ".sock");
    }
    /// True if something answers on the device's socket.
    bool alive(const std::string& ifname) const;
    /// The device. Throws UapiUnavailable, UapiTimeout, or std::runtime_error on errno != 0.
    DeviceState get(const std::string& ifname) const;
    /// Sends "set=1" with `body` (lines ending in \n): all peer changes in one request, which
    /// wireguard-go applies section by section. Throws UapiUnavailable, UapiTimeout, or
    /// std::runtime_error with the errno.
    void set(const std::string& ifname, const std::string& body) const;

  private:
    /// One request and its reply ("...\n\n"), within exchangeDeadline(request.size()) in
    /// all: the caller is weftd's single event loop.
    std::string exchange(const std::string& ifname, const std::string& request) const;
    std::filesystem::path dir_;
};

/// The UAPI "set" body for `change` (lines ending in \n); empty when the change is empty.
/// Throws std::invalid_argument for a key that is not base64 of 32 bytes.
std::string encodeUapiSet(const DeviceChange& change);

}  // namespace weft::kernel::wg
