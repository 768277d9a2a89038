// What the engine benchmarks apply: distinct, non-adjacent prefixes and a table that steers
// them, the same in every part of a run and in the baselines' text files.
#pragma once

#include <string>

#include "weft/state.hpp"

namespace weft::bench {

/// The i-th of a series that never merges: 10.x.y.0/24 with a gap after each (`interval`), or
/// the host 10.x.y.1.
Prefix nth(unsigned i, bool interval = true);

/// Table `name`: one set "dst4" of `size` elements (interval or hash) and an output route
/// chain marking what it matches.
nft::Table steeringTable(const std::string& name, unsigned size, bool interval = true);

}  // namespace weft::bench
