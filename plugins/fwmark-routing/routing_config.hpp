// fwmark-routing.conf: one [Route NAME] per steering policy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "weft/config.hpp"

namespace weft::steer {

constexpr uint32_t kPriorityFirst = 5100, kPriorityLast = 5199;

struct Policy {
    std::string name;
    std::string interface;
    uint32_t table = 180;
    Mark mark{0x51821, 0x51821};
    std::optional<Mark> skipMark;
    uint32_t priority = kPriorityFirst;
    std::vector<PrefixOrSet> destinations, sources;
    bool v4 = true, v6 = true;
};

struct RoutingSettings {
    std::vector<Policy> policies;
    bool looseReversePath = false;
};

Schema routingSchema();
/// Throws ConfigException with every error (clashing tables, marks, priorities...).
RoutingSettings readRoutingSettings(const Config& config);

}  // namespace weft::steer
