#include "event_loop.hpp"

#include <signal.h>

#include <stdexcept>
#include <system_error>

#include "log.hpp"

namespace weft {

struct EventLoop::Source {
    EventLoop* loop = nullptr;
    Id id = 0;
    sd_event_source* source = nullptr;
    Callback fn;
    std::function<void(uint32_t)> ioFn;   // addIo sources only
    std::chrono::milliseconds period{0};  // timers: 0 = one-shot
    ~Source() { sd_event_source_disable_unref(source); }
};

static void check(int r, const char* what) {
    if (r < 0)
        throw std::system_error(-r, std::generic_category(), what);
}

EventLoop::EventLoop() {
    check(sd_event_new(&event_), "sd_event_new");
}

EventLoop::~EventLoop() {
    sources_.clear();
    sd_event_unref(event_);
}

EventLoop::Id EventLoop::store(sd_event_source* s, Callback fn, std::chrono::milliseconds period) {
    auto src = std::make_unique<Source>();
    src->loop = this;
    src->id = nextId_++;
    src->source = s;
    src->fn = std::move(fn);
    src->period = period;
    sd_event_source_set_userdata(s, src.get());
    Id id = src->id;
    sources_[id] = std::move(src);
    return id;
}

void EventLoop::dispatch(Source& src) {
    try {
        src.fn();
    } catch (const std::exception& e) {
        logMessage(LogLevel::Error, {}, std::string("event handler failed: ") + e.what());
    }
}

int EventLoop::onIo(sd_event_source*, int, uint32_t revents, void* user) {
    auto* src = static_cast<Source*>(user);
    if (!src->ioFn) {
        dispatch(*src);
        return 0;
    }
    // A copy, so the callback may cancel (destroy) its own source while it runs.
    auto fn = src->ioFn;
    try {
        fn(revents);
    } catch (const std::exception& e) {
        logMessage(LogLevel::Error, {}, std::string("event handler failed: ") + e.what());
    }
    return 0;
}

int EventLoop::onTime(sd_event_source* s, uint64_t, void* user) {
    auto* src = static_cast<Source*>(user);
    EventLoop* loop = src->loop;
    Id id = src->id;
    if (src->period.count() > 0) {
        uint64_t now = 0;
        sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now);
        sd_event_source_set_time(s, now + uint64_t(src->period.count()) * 1000);
        sd_event_source_set_enabled(s, SD_EVENT_ON);
        dispatch(*src);
    } else {
        // One-shot: drop the source before running, so the callback may re-arm a new timer.
        Callback fn = std::move(src->fn);
        loop->sources_.erase(id);
        try {
            fn();
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, {}, std::string("timer handler failed: ") + e.what());
        }
    }
    return 0;
}

int EventLoop::onSignal(sd_event_source*, const struct signalfd_siginfo*, void* user) {
    dispatch(*static_cast<Source*>(user));
    return 0;
}

EventLoop::Id EventLoop::addReadable(int fd, Callback fn) {
    sd_event_source* s = nullptr;
    check(sd_event_add_io(event_, &s, fd, EPOLLIN, &EventLoop::onIo, nullptr), "sd_event_add_io");
    return store(s, std::move(fn), {});
}

EventLoop::Id EventLoop::addWritable(int fd, Callback fn) {
    sd_event_source* s = nullptr;
    check(sd_event_add_io(event_, &s, fd, EPOLLOUT, &EventLoop::onIo, nullptr), "sd_event_add_io");
    return store(s, std::move(fn), {});
}

EventLoop::Id EventLoop::addIo(int fd, uint32_t events, std::function<void(uint32_t)> fn) {
    sd_event_source* s = nullptr;
    check(sd_event_add_io(event_, &s, fd, events, &EventLoop::onIo, nullptr), "sd_event_add_io");
    Id id = store(s, {}, {});
    sources_[id]->ioFn = std::move(fn);
    return id;
}

EventLoop::Id EventLoop::addTimer(std::chrono::milliseconds delay, bool repeat, Callback fn) {
    sd_event_source* s = nullptr;
    uint64_t usec = uint64_t(std::max<int64_t>(delay.count(), 0)) * 1000;
    check(sd_event_add_time_relative(event_, &s, CLOCK_MONOTONIC, usec, 1000, &EventLoop::onTime,
                                     nullptr),
          "sd_event_add_time_relative");
    if (repeat)
        sd_event_source_set_enabled(s, SD_EVENT_ON);
    return store(s, std::move(fn), repeat ? delay : std::chrono::milliseconds{0});
}

EventLoop::Id EventLoop::addSignal(int sig, Callback fn) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    sd_event_source* s = nullptr;
    check(sd_event_add_signal(event_, &s, sig, &EventLoop::onSignal, nullptr),
          "sd_event_add_signal");
    return store(s, std::move(fn), {});
}

void EventLoop::cancel(Id id) {
    sources_.erase(id);
}

int EventLoop::run() {
    return sd_event_loop(event_);
}

void EventLoop::exit(int code) {
    sd_event_exit(event_, code);
}

}  // namespace weft
