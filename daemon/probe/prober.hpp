// Health probes for plugins: ICMP echo, TCP connect and DNS queries, each on a non-blocking
// socket of its own watched by the event loop, out of a chosen interface or with a fwmark.
// Not netlink, so not in kernel/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "event_loop.hpp"
#include "weft/probe.hpp"

namespace weft {

class Prober {
  public:
    using Id = uint64_t;
    using Done = std::function<void(const ProbeResult&)>;

    explicit Prober(EventLoop& loop);
    ~Prober();  ///< cancels every probe in flight (no callback runs)
    Prober(const Prober&) = delete;
    Prober& operator=(const Prober&) = delete;

    /// Starts a probe and returns at once. `done` runs later on the loop exactly once (never
    /// from inside start()), unless cancel(id) comes first. Failing to send is a result
    /// (Status::Error), not an exception.
    Id start(const ProbeRequest& request, Done done);
    /// Stops a probe in flight; its callback will not run. Unknown ids are ignored.
    void cancel(Id id);
    /// Probes in flight.
    size_t inFlight() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace weft
