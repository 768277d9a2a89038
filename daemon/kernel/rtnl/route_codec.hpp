// weft's Route <-> libnl-route's rtnl_route and RTM_NEWROUTE/RTM_DELROUTE requests.
#pragma once

#include <linux/netlink.h>
#include <netlink/route/route.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "nl_socket.hpp"
#include "weft/state.hpp"

namespace weft::kernel::rtnl {

struct RtnlRoutePut {
    void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
using RtnlRoutePtr = std::unique_ptr<rtnl_route, RtnlRoutePut>;

/// A route as the kernel holds it.
struct KernelRoute {
    Route route;  ///< weft's view of it, normalized()
    /// False when the kernel route says more than a Route can (multipath, tos, a local or
    /// broadcast type): it then never equals a desired route and is replaced or removed.
    bool exact = true;
    RtnlRoutePtr obj;  ///< the kernel's own object, for an exact delete
};

/// The protocol and table of a RTM_NEWROUTE message, read cheaply before parsing it all.
struct RouteTag {
    int family = 0;
    uint8_t protocol = 0;
    uint32_t table = 0;
    bool cloned = false;  ///< a cache clone, never a configured route
};
RouteTag routeTag(nlmsghdr* nlh);

/// Parses a dumped route; nullopt for families other than IPv4/IPv6.
std::optional<KernelRoute> parseRoute(nlmsghdr* nlh);

/// The RTM_NEWROUTE request (NLM_F_CREATE | `flags`) for `r` tagged with `protocol`, or why it
/// cannot be built (its device does not exist).
std::variant<NlMsgPtr, std::string> buildRouteAdd(const Route& r, uint8_t protocol, int flags);
/// The RTM_DELROUTE request for a route read from the kernel.
NlMsgPtr buildRouteDelete(const KernelRoute& k);

/// A route as the kernel will report it: IPv6 metric 0 is 1024 and IPv6 has no scope; routes
/// that are not unicast have no device or gateway.
Route normalized(Route r);

/// "blackhole 10.0.0.0/8 table 180", "192.0.2.0/24 via 10.0.0.1 dev d0 metric 5 table main".
std::string describe(const Route& r);

}  // namespace weft::kernel::rtnl
