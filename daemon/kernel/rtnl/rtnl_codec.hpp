// weft's Route and RoutingRule <-> rtnetlink messages.
#pragma once

#include <libmnl/libmnl.h>

#include <optional>

#include "weft/state.hpp"

namespace weft::kernel::rtnl {

/// A kernel route with its protocol (for ownership), or nullopt for entries we ignore
/// (cache clones, local/broadcast routes, other address families).
struct KernelRoute {
    Route route;
    uint8_t protocol = 0;
};
struct KernelRule {
    RoutingRule rule;
    uint8_t protocol = 0;
};

std::optional<KernelRoute> parseRoute(const nlmsghdr* nlh);
std::optional<KernelRule> parseRule(const nlmsghdr* nlh);

/// Fills a RTM_NEWROUTE/RTM_DELROUTE request.
void buildRoute(nlmsghdr* nlh, const Route& r, uint8_t protocol);
/// Fills a RTM_NEWRULE/RTM_DELRULE request.
void buildRule(nlmsghdr* nlh, const RoutingRule& r, uint8_t protocol);

/// The kernel's view of a route for comparison: IPv6 metric 0 means 1024, scope and the
/// device of non-unicast routes are not reported faithfully, so they are normalized away.
Route normalized(Route r);

/// "10.0.0.0/8 dev weft0 table 180" for messages.
std::string describe(const Route& r);
std::string describe(const RoutingRule& r);

}  // namespace weft::kernel::rtnl
