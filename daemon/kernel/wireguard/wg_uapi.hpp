// The cross-platform WireGuard UAPI (wireguard-go's /run/wireguard/IFACE.sock).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "weft/state.hpp"
#include "wg_device.hpp"

namespace weft::kernel::wg {

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

/// The UAPI "set" body for `change` (lines ending in \n); empty when the change is empty.
/// Throws std::invalid_argument for a key that is not base64 of 32 bytes.
std::string encodeUapiSet(const DeviceChange& change);

}  // namespace weft::kernel::wg
