// The daemon's single-threaded event loop: a thin RAII wrapper over sd-event.
#pragma once

#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

namespace weft {

/// Owns an sd_event and every source added through it. Callbacks run on the loop thread;
/// an exception escaping a callback is logged and swallowed so one bad handler cannot stop weftd.
class EventLoop {
  public:
    using Id = uint64_t;
    using Callback = std::function<void()>;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    sd_event* get() const { return event_; }

    /// Calls `fn` whenever `fd` is readable (EPOLLIN).
    Id addReadable(int fd, Callback fn);
    /// Calls `fn` whenever `fd` is writable (EPOLLOUT), e.g. once a non-blocking connect ends.
    /// Like addReadable, errors and hang-ups (EPOLLERR, EPOLLHUP) call it too.
    Id addWritable(int fd, Callback fn);
    /// Calls `fn(revents)` whenever `fd` has one of `events` (EPOLLIN and/or EPOLLOUT), or an
    /// error or hang-up, for callers that watch both directions of one fd (sd-event allows one
    /// source per fd) and need to know which fired (e.g. libcurl's multi interface). `fn` may
    /// cancel its own source.
    Id addIo(int fd, uint32_t events, std::function<void(uint32_t revents)> fn);
    /// Calls `fn` after `delay`, once, or every `delay` when `repeat`.
    Id addTimer(std::chrono::milliseconds delay, bool repeat, Callback fn);
    /// Calls `fn` on signal `sig` (the signal is blocked for the process).
    Id addSignal(int sig, Callback fn);
    /// Removes a source; unknown ids are ignored.
    void cancel(Id id);

    /// Runs until exit(); returns the exit code.
    int run();
    void exit(int code);

  private:
    struct Source;
    Id store(sd_event_source* s, Callback fn, std::chrono::milliseconds period);
    static int onIo(sd_event_source* s, int fd, uint32_t revents, void* user);
    static int onTime(sd_event_source* s, uint64_t usec, void* user);
    static int onSignal(sd_event_source* s, const struct signalfd_siginfo* si, void* user);
    static void dispatch(Source& src);

    sd_event* event_ = nullptr;
    Id nextId_ = 1;
    std::map<Id, std::unique_ptr<Source>> sources_;
};

}  // namespace weft
