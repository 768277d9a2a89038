#include "route_engine.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "nl_socket.hpp"
#include "route_codec.hpp"

namespace weft::kernel {

using namespace rtnl;

RouteEngine::RouteEngine(uint8_t protocol)
    : protocol_(protocol), sock_(std::make_unique<NlSocket>()) {}
RouteEngine::~RouteEngine() = default;

uint32_t RouteEngine::portId() const {
    return sock_->portId();
}

void RouteEngine::invalidate() {
    convergedRoutes_.clear();
    convergedRules_.clear();
}

namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

bool inRanges(uint32_t t, const Ranges& ranges) {
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](auto& r) { return t >= r.first && t <= r.second; });
}

// The kernel's identity of a route: NLM_F_REPLACE keeps it, anything else is another route.
using RouteKey = std::tuple<Family, uint32_t, Prefix, uint32_t>;
RouteKey keyOf(const Route& r) {
    return {r.family(), r.table, r.dst, r.metric};
}

struct KernelView {
    std::multimap<RouteKey, KernelRoute> ours;  // a key twice: someone appended a route
    std::set<RouteKey> foreign;
};

NlStatus readRoutes(NlSocket& s, uint8_t protocol, const Ranges& tables, KernelView& view) {
    auto each = [&](nlmsghdr* nlh) {
        RouteTag tag = routeTag(nlh);
        if (tag.cloned || (tag.family != AF_INET && tag.family != AF_INET6) ||
            !inRanges(tag.table, tables))
            return;
        auto k = parseRoute(nlh);
        if (!k)
            return;
        RouteKey key = keyOf(k->route);
        if (tag.protocol == protocol)
            view.ours.emplace(key, std::move(*k));
        else
            view.foreign.insert(key);
    };
    return s.dump(RTM_GETROUTE, AF_UNSPEC, each, [&] { view = KernelView{}; });
}

std::map<RouteKey, Route> wanted(const std::vector<Route>& desired, const Ranges& tables,
                                 ApplyResult& res) {
    std::map<RouteKey, Route> want;
    for (auto& d : desired) {
        Route r = normalized(d);
        if (!inRanges(r.table, tables)) {
            res.errors.push_back("route " + describe(r) + ": table outside the lease");
        } else if (auto [it, fresh] = want.emplace(keyOf(r), r); !fresh && it->second != r) {
            res.errors.push_back("route " + describe(r) +
                                 ": same table, destination and metric "
                                 "as " +
                                 describe(it->second));
        }
    }
    return want;
}

}  // namespace

ApplyResult RouteEngine::applyRoutes(const std::vector<Route>& desired, const Ranges& tables) {
    ApplyResult res;
    if (auto c = convergedRoutes_.find(tables); c != convergedRoutes_.end() && c->second == desired)
        return res;
    convergedRoutes_.erase(tables);
    auto want = wanted(desired, tables, res);
    KernelView have;
    if (NlStatus st = readRoutes(*sock_, protocol_, tables, have); !st.ok()) {
        res.errors.push_back("read routes: " + st.str());
        return res;
    }
    std::set<RouteKey> replaced;
    for (auto& [key, r] : want) {
        auto it = have.ours.find(key);
        bool mine = it != have.ours.end();
        if (mine && it->second.exact && it->second.route == r && have.ours.count(key) == 1)
            continue;
        if (have.foreign.count(key)) {
            res.errors.push_back("route " + describe(r) +
                                 ": a route weft does not own has this table, destination and "
                                 "metric; leaving it alone");
            continue;
        }
        auto built = buildRouteAdd(r, protocol_, mine ? NLM_F_REPLACE : NLM_F_EXCL);
        if (auto* why = std::get_if<std::string>(&built)) {
            res.errors.push_back("route " + describe(r) + ": " + *why);
            continue;
        }
        NlStatus st = sock_->request(std::get<NlMsgPtr>(built).get());
        if (!st.ok()) {
            res.errors.push_back("route " + describe(r) + ": " + st.str());
            continue;
        }
        ++res.changes;
        if (mine) {  // the replace rewrote the first route of this identity; others are extra
            have.ours.erase(it);
            replaced.insert(key);
        }
    }
    for (auto& [key, k] : have.ours) {
        if (want.count(key) && !replaced.count(key))
            continue;
        NlStatus st = sock_->request(buildRouteDelete(k).get());
        if (!st.ok() && st.error != ESRCH)
            res.errors.push_back("delete route " + describe(k.route) + ": " + st.str());
        else if (st.ok())
            ++res.changes;
    }
    if (res.ok())
        convergedRoutes_[tables] = desired;
    return res;
}

ApplyResult RouteEngine::removeAll() {
    invalidate();
    ApplyResult rules = applyRules({}, {0, UINT32_MAX});
    ApplyResult routes = applyRoutes({}, {{0, UINT32_MAX}});
    rules.errors.insert(rules.errors.end(), routes.errors.begin(), routes.errors.end());
    rules.changes += routes.changes;
    invalidate();  // the per-range records no longer hold
    return rules;
}

}  // namespace weft::kernel
