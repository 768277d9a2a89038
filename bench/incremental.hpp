// The incremental part of engine-bench: one element added to and removed from a set of a
// given size, through the engine (diff + batch) and, as the baseline, as the same one-element
// batch sent straight to the kernel (no diff, no cache). The difference is what weft adds.
#pragma once

#include <vector>

namespace weft::bench {

struct Latency {
    double p50 = 0, p99 = 0, max = 0;
};
Latency latency(std::vector<double> samples_ms);

struct Incremental {
    Latency weft, raw;
};

/// Runs `rounds` add+remove pairs on a fresh table holding one set of `size` /24 prefixes
/// (`interval`) or host addresses (a hash set), then deletes the table.
Incremental incremental(unsigned size, unsigned rounds, bool interval);

}  // namespace weft::bench
