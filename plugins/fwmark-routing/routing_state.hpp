// fwmark-routing: settings + resolved prefix sets -> desired kernel state. Pure functions.
//
// Per policy NAME and family: interval sets NAME_dst4/6 (and NAME_src4/6 with Sources=), a
// steering rule in the prerouting chain (and in the output chain unless source-scoped), one
// ip rule "fwmark Mark lookup Table" and one default route "dev Interface" in Table.
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
/// The sysctls these settings set (their keys are the lease's).
std::vector<Sysctl> routingSysctls(const RoutingSettings& settings);

}  // namespace weft::steer
