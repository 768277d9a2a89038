// Converges weft's routes and ip rules, identified by weft's rtnetlink protocol number.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "kernel/apply_result.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

namespace rtnl {
class RtnlSocket;
}

class RouteEngine {
  public:
    explicit RouteEngine(uint8_t protocol);
    ~RouteEngine();

    /// Converges the routes carrying our protocol in the given tables (inclusive ranges) to
    /// `desired`. Routes of other protocols are never touched, even in our tables. A changed
    /// route is replaced in place (NLM_F_REPLACE), not deleted and re-added.
    ApplyResult applyRoutes(const std::vector<Route>& desired,
                            const std::vector<std::pair<uint32_t, uint32_t>>& tables);
    /// Converges our rules with priority in [lo, hi]. New rules go in before old ones are
    /// deleted: ip rules are not transactional, so no packet may meet a gap.
    ApplyResult applyRules(const std::vector<RoutingRule>& desired,
                           std::pair<uint32_t, uint32_t> priorities);
    /// Removes every route and rule carrying our protocol.
    ApplyResult removeAll();

    /// Port id of its socket: the monitor ignores changes weft made itself.
    uint32_t portId() const;

  private:
    uint8_t protocol_;
    std::unique_ptr<rtnl::RtnlSocket> sock_;
};

}  // namespace weft::kernel
