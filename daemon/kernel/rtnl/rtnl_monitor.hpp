// Watches links, addresses, routes and rules: link changes feed the plugins' view, changes to
// weft's routes and rules trigger a re-converge (drift repair).
#pragma once

#include <cstdint>
#include <vector>

#include "nl_socket.hpp"

namespace weft::kernel {

class RtnlMonitor {
  public:
    /// Joins the link, IPv4/IPv6 address, route and rule groups. Route and rule changes made
    /// through `ownPorts` (weft's engines' portId()) are not reported; without them weft's own
    /// changes come back as events, and the re-converge they cause is a no-op. Link and address
    /// changes are always reported. Throws std::system_error.
    explicit RtnlMonitor(uint8_t protocol, std::vector<uint32_t> ownPorts = {});

    /// Non-blocking; readable when events are pending.
    int fd() const;
    struct Events {
        bool links = false;       ///< a link or address appeared, changed or vanished
        bool weftRoutes = false;  ///< a route with weft's protocol was added, changed or deleted
        bool weftRules = false;   ///< likewise for an ip rule
    };
    /// Reads everything pending. When the kernel dropped events (socket overrun) every flag is
    /// set. The kernel removes IPv4 routes of a downed link without telling: `links` covers it.
    Events drain();

  private:
    void classify(const nlmsghdr* nlh, Events& ev) const;

    rtnl::NlSockPtr sk_;
    uint8_t protocol_;
    std::vector<uint32_t> ownPorts_;
};

}  // namespace weft::kernel
