#include "backoff.hpp"

#include <algorithm>

namespace weft::cluster {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      rng_(seed) {}

std::chrono::milliseconds Backoff::base() const {
    auto b = initial_;
    for (unsigned i = 0; i < attempt_ && b < max_; ++i)
        b *= 2;
    return std::min(b, max_);
}

std::chrono::milliseconds Backoff::next() {
    int64_t b = base().count();
    if (attempt_ < 64)  // the base is capped long before; just never wrap
        ++attempt_;
    std::uniform_int_distribution<int64_t> jitter(b / 2, b);
    return std::chrono::milliseconds(jitter(rng_));
}

}  // namespace weft::cluster
