// Fences between plugins: lease overlaps, and desired state outside a plugin's lease.
#pragma once

#include <string>
#include <vector>

#include "weft/plugin.hpp"

namespace weft {

/// Every way two leases collide, as human sentences naming both plugins; empty if none.
std::vector<std::string> leaseConflicts(const std::string& nameA, const Lease& a,
                                        const std::string& nameB, const Lease& b);

/// The same, as config errors located at `where` — the later plugin's `Plugins=` line in
/// weftd.conf, section [Daemon], key Plugins — so a refused reload names a line.
std::vector<ConfigError> leaseConflictErrors(const std::string& nameA, const Lease& a,
                                             const std::string& nameB, const Lease& b,
                                             const Location& where);

/// Every object of `state` that lies outside `lease`, as human sentences; empty if none.
std::vector<std::string> leaseViolations(const Lease& lease, const DesiredState& state);

/// Mark bits a desired state writes (SetMark, SetCtMark, HashMark and friends).
uint32_t markBitsWritten(const DesiredState& state);

}  // namespace weft
