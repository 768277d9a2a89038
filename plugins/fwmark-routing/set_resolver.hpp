// Resolves "Destinations=10.0.0.0/8 @wireguard-mesh/targets" into one PrefixSet at
// reconcile time. An unpublished named set counts as empty and is logged once at Notice
// (again if it vanishes after having been published).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "weft/plugin.hpp"

namespace weft::steer {

class SetResolver {
  public:
    /// Borrowed; valid from Plugin::start() until stop(). Without a host, sets are empty.
    void attach(Host* host) { host_ = host; }
    /// Prefixes and named sets, united into one minimal cover.
    PrefixSet resolve(const std::vector<PrefixOrSet>& items);
    /// The same, without logging (for describe()).
    PrefixSet peek(const std::vector<PrefixOrSet>& items) const;

  private:
    /// Logs newly missing sets into `missing` when given.
    PrefixSet collect(const std::vector<PrefixOrSet>& items, std::set<std::string>* missing) const;
    Host* host_ = nullptr;
    std::set<std::string> missing_;  ///< unpublished sets already logged
};

}  // namespace weft::steer
