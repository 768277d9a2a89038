// One run of the real event loop with a Prober on it: start probes, run until each has reported
// (or a limit passes), then look at what came back and how often.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "probe/prober.hpp"
#include "weft/probe.hpp"

namespace weft::test {

using namespace std::chrono_literals;

/// Request builders; the timeout is the probe's own.
ProbeRequest icmpProbe(const Address& target, std::chrono::milliseconds timeout = 2s);
ProbeRequest tcpProbe(const Address& target, uint16_t port, std::chrono::milliseconds timeout = 2s);
ProbeRequest dnsProbe(const Address& target, uint16_t port, std::chrono::milliseconds timeout = 2s);

class ProbeRun {
  public:
    ProbeRun() = default;

    /// Starts a probe; returns its index into results().
    size_t add(const ProbeRequest& request);
    /// Cancels the probe at `index`; run() no longer waits for it.
    void cancel(size_t index);
    /// Runs the loop until every live probe has reported, then a short grace period (so a second
    /// report would be seen), or until `limit`. Returns the time it ran.
    std::chrono::milliseconds run(std::chrono::milliseconds limit = 10s);

    /// Each probe's result, nullopt if none came.
    const std::vector<std::optional<ProbeResult>>& results() const { return results_; }
    /// How many times each probe's callback ran.
    const std::vector<int>& calls() const { return calls_; }
    /// When each result came, counted from the probe's start.
    const std::vector<std::chrono::microseconds>& elapsed() const { return elapsed_; }

    EventLoop loop;
    Prober prober{loop};

  private:
    void delivered();
    std::vector<std::optional<ProbeResult>> results_;
    std::vector<int> calls_;
    std::vector<std::chrono::microseconds> elapsed_;
    std::vector<Prober::Id> ids_;
    std::vector<bool> cancelled_;
    size_t waiting_ = 0;
    bool graceArmed_ = false;
};

/// "ok 52us", "timeout", "error: connection refused": for failure messages.
std::string describe(const ProbeResult& r);
/// Open file descriptors of this process (to see that probes close their sockets).
size_t openFds();

/// Runs one probe on a fresh loop and returns its result (fails the test if none came).
ProbeResult probeOnce(const ProbeRequest& request);

}  // namespace weft::test
