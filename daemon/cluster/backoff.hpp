// Exponential back-off with jitter, for reconnecting to etcd without hammering it.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace weft::cluster {

/// The n-th delay's base is initial * 2^n, capped at `max`; the delay drawn is uniform in
/// [base/2, base] ("equal jitter"), so nodes that lost etcd together do not come back in step.
/// reset() after a success starts again at `initial`.
class Backoff {
  public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed);

    std::chrono::milliseconds next();
    void reset() { attempt_ = 0; }
    /// The base of the next delay, before jitter (for tests and logs).
    std::chrono::milliseconds base() const;

  private:
    std::chrono::milliseconds initial_, max_;
    unsigned attempt_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace weft::cluster
