// One probe in flight, of one kind. The Prober owns it; destroying it closes its socket and stops
// its loop watches, so a cancelled probe never reports.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "event_loop.hpp"
#include "weft/probe.hpp"

namespace weft::probe {

/// Hands the result to the Prober, from one of the task's loop callbacks and as its last act
/// there (the callback behind it may destroy the Prober and the task).
using Report = std::function<void(ProbeResult)>;

/// Base of the probe kinds: reports exactly once, however often its socket stays ready.
class Task {
  public:
    explicit Task(Report report) : report_(std::move(report)) {}
    virtual ~Task() = default;
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;

  protected:
    /// Reports the first result; later calls do nothing. Call it last in a loop callback.
    void finish(ProbeResult result) {
        if (finished_)
            return;
        finished_ = true;
        report_(std::move(result));
    }
    bool finished() const { return finished_; }

  private:
    Report report_;
    bool finished_ = false;
};

/// The factories open the socket, send, and watch for the answer; the timeout is the Prober's.
/// They never report from inside; a probe that cannot be sent at all throws std::runtime_error
/// with the message for ProbeResult::error.
///
/// ICMP echo: `ident` and `sequence` mark our request; a raw socket sees every echo reply.
std::unique_ptr<Task> startIcmpEcho(EventLoop& loop, const ProbeRequest& request, uint16_t ident,
                                    uint16_t sequence, Report report);
std::unique_ptr<Task> startTcpConnect(EventLoop& loop, const ProbeRequest& request, Report report);
std::unique_ptr<Task> startDnsQuery(EventLoop& loop, const ProbeRequest& request, Report report);

}  // namespace weft::probe
