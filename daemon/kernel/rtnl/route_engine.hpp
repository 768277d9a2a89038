// Converges weft's routes and ip rules. weft owns exactly the routes and rules that carry its
// rtnetlink protocol number; everything else is never touched, even inside weft's tables.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "kernel/apply_result.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

namespace rtnl {
class NlSocket;
}

class RouteEngine {
  public:
    /// `protocol`: weft's rtnetlink protocol (WEFT_RTPROTO). Throws std::system_error when no
    /// rtnetlink socket can be opened.
    explicit RouteEngine(uint8_t protocol);
    ~RouteEngine();
    RouteEngine(const RouteEngine&) = delete;
    RouteEngine& operator=(const RouteEngine&) = delete;

    /// Converges the kernel's routes that carry our protocol and lie in one of `tables`
    /// (inclusive ranges) to `desired`, both families. A route is identified by (family, table,
    /// destination, metric), as the kernel does; a changed route (device, gateway, type, source,
    /// MTU, scope) is replaced in place with NLM_F_REPLACE, never deleted and re-added. Desired
    /// routes outside `tables`, or two with one identity, are reported and skipped. A foreign
    /// route with the identity of a desired one is left alone and reported.
    ApplyResult applyRoutes(const std::vector<Route>& desired,
                            const std::vector<std::pair<uint32_t, uint32_t>>& tables);
    /// Converges our rules with priority in [first, second] to `desired`. New rules are added
    /// before old ones are deleted: ip rules are not transactional, so no packet may meet a gap.
    /// Desired rules outside the range are reported and skipped.
    ApplyResult applyRules(const std::vector<RoutingRule>& desired,
                           std::pair<uint32_t, uint32_t> priorities);
    /// Removes every rule and route carrying our protocol, in every table and at every priority
    /// (weftctl flush, the orphan sweep).
    ApplyResult removeAll();

    /// Port id of its socket: a monitor can tell weft's own changes by it.
    uint32_t portId() const;

    /// Forgets what it last converged, so the next apply reads the kernel again. Until then an
    /// apply with the same desired state as the last successful one (same ranges) sends and
    /// reads nothing: call this whenever the kernel may have changed behind weft's back (a
    /// route/rule/link event from the monitor, a monitor overrun, the periodic resync).
    void invalidate();

  private:
    using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;
    uint8_t protocol_;
    std::unique_ptr<rtnl::NlSocket> sock_;
    std::map<Ranges, std::vector<Route>> convergedRoutes_;  ///< by table ranges
    std::map<std::pair<uint32_t, uint32_t>, std::vector<RoutingRule>> convergedRules_;
};

}  // namespace weft::kernel
