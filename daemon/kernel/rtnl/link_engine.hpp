// Links and their addresses: the read-only view plugins get, and the settings of the links weft
// owns (up, MTU, exactly the desired addresses).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/apply_result.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

namespace rtnl {
class NlSocket;
}

class LinkEngine {
  public:
    /// Throws std::system_error when no rtnetlink socket can be opened.
    LinkEngine();
    ~LinkEngine();
    LinkEngine(const LinkEngine&) = delete;
    LinkEngine& operator=(const LinkEngine&) = delete;

    /// Every link with its IPv4 and IPv6 addresses (sorted), by index. Empty if the kernel
    /// cannot be read.
    std::vector<LinkInfo> links();
    std::optional<LinkInfo> link(const std::string& name);
    /// Brings an existing link up with this MTU (0: leave it) and exactly these addresses.
    /// IPv6 link-local addresses (fe80::/10) are the kernel's and are left alone. IPv6
    /// addresses skip duplicate detection so they are usable at once. A no-op when already so.
    ApplyResult configure(const std::string& name, unsigned mtu,
                          const std::vector<InterfaceAddress>& addresses);
    /// Creates a kernel WireGuard link (rtnl kind "wireguard"). Fails with a message naming the
    /// missing kernel support when the wireguard module is absent.
    ApplyResult createWireguard(const std::string& name);
    /// Deletes a link; a missing link is no change and no error.
    ApplyResult remove(const std::string& name);

    /// Port id of its socket: a monitor can tell weft's own changes by it.
    uint32_t portId() const;

  private:
    std::unique_ptr<rtnl::NlSocket> sock_;
};

}  // namespace weft::kernel
