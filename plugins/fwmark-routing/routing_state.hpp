// fwmark-routing: settings + resolved prefix sets -> desired kernel state. Pure functions.
//
// Per policy NAME and family: interval sets NAME_dst4/6 (and NAME_src4/6 with Sources=), a
// steering rule in the prerouting chain (and in the output chain unless source-scoped), one
// ip rule "fwmark Mark lookup Table" and one default route "dev Interface" in Table; with
// Fallback= (the default) also a route "PREFIX dev Interface" per destination prefix in
// FallbackTable and the rule "not fwmark SkipMark lookup FallbackTable" after main.
//
// Why the fallback: a locally generated packet is routed before the output hook can mark it,
// so on a host whose main table does not route a destination (no default route, an IPv6-only
// underlay) the send fails with ENETUNREACH and is never steered. The fallback gives it a
// route; the hook then marks it and the packet is rerouted through Table like any other.
#pragma once

#include <string>
#include <vector>

#include "routing_settings.hpp"
#include "weft/state.hpp"

namespace weft::steer {

/// One policy's destinations and sources as resolved at reconcile time.
struct ResolvedPolicy {
    PrefixSet destinations;
    PrefixSet sources;
};

/// The plugin's whole desired state; `resolved[i]` belongs to `settings.policies[i]`.
DesiredState buildRoutingState(const RoutingSettings& settings,
                               const std::vector<ResolvedPolicy>& resolved);

/// "NAME_dst4", "NAME_src6": `what` is "dst" or "src".
std::string setName(const Policy& p, const std::string& what, Family f);
/// [family, not SkipMark, saddr @src, daddr @dst] -> mark set, counter. No verdict.
nft::Rule steerRule(const Policy& p, Family f);
/// "fwmark Mark lookup Table priority Priority".
RoutingRule markRule(const Policy& p, Family f);
/// The default route of family `f` into the policy's interface, in its table.
Route defaultRoute(const Policy& p, Family f);
/// "not fwmark SkipMark lookup FallbackTable priority 32800 + (Priority - 5100)"; only for a
/// policy that fallsBack(). WireGuard's own packets carry SkipMark and never match it.
RoutingRule fallbackRule(const Policy& p, Family f);
/// One route "PREFIX dev Interface scope link" per destination prefix of family `f`, in
/// FallbackTable; empty unless the policy fallsBack().
std::vector<Route> fallbackRoutes(const Policy& p, Family f, const PrefixSet& destinations);
/// The sysctls these settings set (their keys are the lease's).
std::vector<Sysctl> routingSysctls(const RoutingSettings& settings);

}  // namespace weft::steer
