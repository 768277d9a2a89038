// Links and their addresses: the read-only view plugins get, and the settings of links
// weft owns (MTU, up, exactly the desired addresses).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/apply_result.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

namespace rtnl {
class RtnlSocket;
}

class LinkEngine {
  public:
    LinkEngine();
    ~LinkEngine();

    /// Every link with its addresses.
    std::vector<LinkInfo> links();
    std::optional<LinkInfo> link(const std::string& name);
    /// Brings an existing link up with this MTU and exactly these addresses (IPv6 link-local
    /// addresses are the kernel's and are left alone). A no-op when already so.
    ApplyResult configure(const std::string& name, unsigned mtu,
                          const std::vector<InterfaceAddress>& addresses);
    /// Creates a kernel WireGuard link (rtnl kind "wireguard").
    ApplyResult createWireguard(const std::string& name);
    ApplyResult remove(const std::string& name);

    /// Port id of its socket: the monitor ignores changes weft made itself.
    uint32_t portId() const;

  private:
    std::unique_ptr<rtnl::RtnlSocket> sock_;
};

}  // namespace weft::kernel
