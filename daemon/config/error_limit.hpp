// Caps how many configuration errors one report carries: a file of 500,000 bad lines must
// not turn into a D-Bus reply or a LastError past the bus's message limit.
#pragma once

#include <cstddef>
#include <vector>

#include "weft/config.hpp"

namespace weft::config {

/// Keeps the first kMaxReportedErrors of `errors` (see bus_text.hpp) and replaces the rest,
/// together with `unreported` errors that were only counted, by one error "... and N more
/// errors" located at the first error left out. A list that already went through here may
/// be limited again (after merging several lists): its count is carried over exactly.
void limitErrors(std::vector<ConfigError>& errors, size_t unreported = 0);

}  // namespace weft::config
