// The benchmarks' shared timing helpers: durations in milliseconds and the median.
#pragma once

#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace weft::bench {

using Clock = std::chrono::steady_clock;

inline double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

/// A getrusage() time (user or system) in milliseconds.
inline double ms(const timeval& t) {
    return double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3;
}

/// The upper median (the middle element of the sorted values).
inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace weft::bench
