#include "route_engine.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "rtnl_codec.hpp"
#include "rtnl_socket.hpp"

namespace weft::kernel {

using namespace rtnl;

RouteEngine::RouteEngine(uint8_t protocol)
    : protocol_(protocol), sock_(std::make_unique<RtnlSocket>()) {}
RouteEngine::~RouteEngine() = default;
uint32_t RouteEngine::portId() const {
    return sock_->portId();
}

namespace {

bool inRanges(uint32_t t, const std::vector<std::pair<uint32_t, uint32_t>>& ranges) {
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](auto& r) { return t >= r.first && t <= r.second; });
}

// The kernel's identity of a route: replacing keeps it, anything else is a new route.
auto routeKey(const Route& r) {
    return std::make_tuple(int(r.family()), r.table, r.dst, r.metric);
}

std::vector<KernelRoute> dumpRoutes(RtnlSocket& s) {
    std::vector<KernelRoute> out;
    s.dump(
        RTM_GETROUTE,
        [](nlmsghdr* nlh) {
            auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
            rtm->rtm_family = AF_UNSPEC;
        },
        [&](const nlmsghdr* nlh) {
            if (auto r = parseRoute(nlh))
                out.push_back(*r);
        });
    return out;
}

std::vector<KernelRule> dumpRules(RtnlSocket& s) {
    std::vector<KernelRule> out;
    s.dump(
        RTM_GETRULE,
        [](nlmsghdr* nlh) {
            auto* h =
                static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
            h->family = AF_UNSPEC;
        },
        [&](const nlmsghdr* nlh) {
            if (auto r = parseRule(nlh))
                out.push_back(*r);
        });
    return out;
}

}  // namespace

ApplyResult RouteEngine::applyRoutes(const std::vector<Route>& desired,
                                     const std::vector<std::pair<uint32_t, uint32_t>>& tables) {
    ApplyResult res;
    std::map<decltype(routeKey(Route{})), Route> have;
    for (auto& k : dumpRoutes(*sock_)) {
        if (k.protocol == protocol_ && inRanges(k.route.table, tables)) {
            have[routeKey(normalized(k.route))] = normalized(k.route);
        }
    }
    std::map<decltype(routeKey(Route{})), Route> want;
    for (auto& r : desired)
        want[routeKey(normalized(r))] = r;
    for (auto& [key, r] : want) {
        auto it = have.find(key);
        if (it != have.end() && it->second == normalized(r))
            continue;
        uint16_t flags = NLM_F_CREATE | (it != have.end() ? NLM_F_REPLACE : NLM_F_EXCL);
        int err = sock_->request(RTM_NEWROUTE, flags,
                                 [&](nlmsghdr* nlh) { buildRoute(nlh, r, protocol_); });
        if (err < 0)
            res.errors.push_back("route " + describe(r) + ": " + errnoText(err));
        else
            ++res.changes;
    }
    for (auto& [key, r] : have) {
        if (want.count(key))
            continue;
        int err =
            sock_->request(RTM_DELROUTE, 0, [&](nlmsghdr* nlh) { buildRoute(nlh, r, protocol_); });
        if (err < 0 && err != -ESRCH)
            res.errors.push_back("delete route " + describe(r) + ": " + errnoText(err));
        else
            ++res.changes;
    }
    return res;
}

ApplyResult RouteEngine::applyRules(const std::vector<RoutingRule>& desired,
                                    std::pair<uint32_t, uint32_t> prio) {
    ApplyResult res;
    std::vector<RoutingRule> have;
    for (auto& k : dumpRules(*sock_)) {
        if (k.protocol == protocol_ && k.rule.priority >= prio.first &&
            k.rule.priority <= prio.second) {
            have.push_back(k.rule);
        }
    }
    auto contains = [](const std::vector<RoutingRule>& v, const RoutingRule& r) {
        return std::find(v.begin(), v.end(), r) != v.end();
    };
    for (auto& r : desired) {  // add first...
        if (contains(have, r))
            continue;
        int err = sock_->request(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL,
                                 [&](nlmsghdr* nlh) { buildRule(nlh, r, protocol_); });
        if (err < 0 && err != -EEXIST)
            res.errors.push_back("rule " + describe(r) + ": " + errnoText(err));
        else
            ++res.changes;
    }
    for (auto& r : have) {  // ...then delete
        if (contains(desired, r))
            continue;
        int err =
            sock_->request(RTM_DELRULE, 0, [&](nlmsghdr* nlh) { buildRule(nlh, r, protocol_); });
        if (err < 0 && err != -ENOENT)
            res.errors.push_back("delete rule " + describe(r) + ": " + errnoText(err));
        else
            ++res.changes;
    }
    return res;
}

ApplyResult RouteEngine::removeAll() {
    auto rules = applyRules({}, {0, UINT32_MAX});
    auto routes = applyRoutes({}, {{0, UINT32_MAX}});
    rules.errors.insert(rules.errors.end(), routes.errors.begin(), routes.errors.end());
    rules.changes += routes.changes;
    return rules;
}

}  // namespace weft::kernel
