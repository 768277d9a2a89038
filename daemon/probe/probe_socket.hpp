// What every probe kind shares: an owned socket set up for the request (non-blocking,
// close-on-exec, bound to an interface, marked), a loop watch that ends with its owner, addresses
// and errno text.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>

#include "event_loop.hpp"
#include "weft/probe.hpp"

namespace weft::probe {

using Clock = std::chrono::steady_clock;

/// An owned file descriptor, closed on destruction.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd();
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_ = -1;
};

/// A loop source (io watch or timer) owned by a probe: cancelled when the probe goes.
class LoopWatch {
  public:
    LoopWatch(EventLoop& loop, EventLoop::Id id) : loop_(&loop), id_(id) {}
    ~LoopWatch() { loop_->cancel(id_); }
    LoopWatch(const LoopWatch&) = delete;
    LoopWatch& operator=(const LoopWatch&) = delete;

  private:
    EventLoop* loop_;
    EventLoop::Id id_;
};

/// A socket address for sendto/connect.
struct SockAddr {
    sockaddr_storage storage{};
    socklen_t length = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

/// `target`:`port`; an IPv6 link-local target is scoped to the request's interface.
SockAddr sockAddr(const ProbeRequest& request, uint16_t port);
/// The address in a sockaddr_in or sockaddr_in6 (nullopt for other families).
std::optional<Address> addressOf(const sockaddr_storage& sa);

/// Opens a socket of the target's family for the request: non-blocking, close-on-exec, bound to
/// `request.interface` (SO_BINDTODEVICE) and marked with `request.fwmark` (SO_MARK). Throws
/// std::runtime_error with a message fit for ProbeResult::error.
Fd openProbeSocket(const ProbeRequest& request, int type, int protocol);

/// strerror with a lower-case first letter: "connection refused".
std::string errnoText(int err);
/// Throws std::runtime_error "`what`: <errnoText(errno)>".
[[noreturn]] void throwErrno(const std::string& what);

/// Time since `start`, rounded up to whole microseconds.
std::chrono::microseconds since(Clock::time_point start);

}  // namespace weft::probe
