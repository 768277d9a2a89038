// fwmark-routing: the validated settings of a parsed fwmark-routing.conf.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "weft/config.hpp"

namespace weft::steer {

/// One [Route NAME]: traffic to `destinations` (optionally only from `sources`) gets `mark`,
/// an ip rule sends that mark to `table`, whose default route leads into `interface`.
struct Policy {
    std::string name;
    std::string interface;
    uint32_t table = 180;
    /// Fallback=: also route the destinations in `fallbackTable`, looked up after main.
    bool fallback = true;
    uint32_t fallbackTable = 181;
    Mark mark{0x51821, 0x51821};
    std::optional<Mark> skipMark;
    uint32_t priority = 5100;
    std::vector<PrefixOrSet> destinations;
    std::vector<PrefixOrSet> sources;  ///< empty: not source-scoped
    std::vector<Family> families;      ///< from Family=: {V4}, {V6} or {V4, V6}

    bool scoped() const { return !sources.empty(); }
    /// Whether the policy has a fallback table and rule: with Fallback=yes, when it steers host
    /// traffic (a source-scoped policy never does, and must not route it into the tunnel) and
    /// skips WireGuard's own packets (the rule is "not fwmark SkipMark").
    bool fallsBack() const { return fallback && !scoped() && skipMark.has_value(); }
    bool has(Family f) const;
};

struct RoutingSettings {
    std::vector<Policy> policies;
    bool looseReversePath = false;
};

/// Reads and cross-checks the policies; throws ConfigException with every error found
/// (clashing tables, priorities or mark bits, kernel tables, a zero mark, ...).
RoutingSettings readRoutingSettings(const Config& config);

/// "10.0.0.0/8" or "@wireguard-mesh/targets", as the user wrote it.
std::string text(const PrefixOrSet& item);

}  // namespace weft::steer
