// The kernel WireGuard back end's socket: resolves the "wireguard" generic netlink family,
// sends WG_CMD_SET_DEVICE requests one at a time (each acked), and dumps a device.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wg_device.hpp"
#include "wg_genl_codec.hpp"

struct mnl_socket;

namespace weft::kernel::wg {

class GenlClient {
  public:
    /// Opens a generic netlink socket and resolves the family. Throws std::system_error;
    /// ENOENT means the kernel has no WireGuard.
    GenlClient();
    ~GenlClient();
    GenlClient(const GenlClient&) = delete;
    GenlClient& operator=(const GenlClient&) = delete;

    /// True if the kernel has the "wireguard" family (opens and closes a socket).
    static bool available();
    uint16_t familyId() const { return family_; }

    /// The whole device, peers coalesced across the dump's messages. Throws std::system_error
    /// with the kernel's errno: ENODEV when there is no such link, EOPNOTSUPP when the link is
    /// not a WireGuard one.
    DeviceState get(const std::string& ifname);
    /// Sends `change` in messages of at most `limit` bytes. Returns one message per failure,
    /// naming the peer (or the device settings) the kernel refused and its errno; empty when
    /// everything was applied.
    std::vector<std::string> set(const std::string& ifname, const DeviceChange& change,
                                 size_t limit = genl::kDefaultMessageLimit);

  private:
    struct Status {
        int error = 0;  // positive errno
        std::string extack;
        bool ok() const { return error == 0; }
        std::string str() const;
    };
    struct SocketClose {
        void operator()(mnl_socket* s) const;
    };

    void send(const std::vector<uint8_t>& msg);
    Status request(const std::vector<uint8_t>& msg);
    uint16_t resolveFamily();
    std::string sendAlone(const std::string& ifname, const DeviceChange& part, size_t limit);
    void narrow(const std::string& ifname, const DeviceChange& change,
                const genl::SetMessage& failed, size_t limit, std::vector<std::string>& errors);

    std::unique_ptr<mnl_socket, SocketClose> sk_;
    uint32_t seq_;
    uint16_t family_ = 0;
    std::vector<uint8_t> rx_;
};

}  // namespace weft::kernel::wg
