// Watches links, addresses, routes and rules: link changes feed the plugins' view, changes to
// weft's routes and rules trigger a re-converge (drift repair).
#pragma once

#include <libmnl/libmnl.h>

#include <vector>

namespace weft::kernel {

class RtnlMonitor {
  public:
    /// Route and rule changes made through `ownPorts` (weft's own sockets) are not reported as
    /// drift; link changes always are, so plugins see every address.
    RtnlMonitor(uint8_t protocol, std::vector<uint32_t> ownPorts);
    ~RtnlMonitor();
    RtnlMonitor(const RtnlMonitor&) = delete;
    RtnlMonitor& operator=(const RtnlMonitor&) = delete;

    int fd() const;
    struct Events {
        bool links = false;       ///< a link or address changed
        bool weftRoutes = false;  ///< a route with weft's protocol was added, changed or deleted
        bool weftRules = false;   ///< likewise for an ip rule
    };
    /// Reads every pending event. Our own changes show up too: the re-converge they cause is a
    /// no-op.
    Events drain();

  private:
    mnl_socket* nl_ = nullptr;
    uint8_t protocol_;
    std::vector<uint32_t> ownPorts_;
};

}  // namespace weft::kernel
