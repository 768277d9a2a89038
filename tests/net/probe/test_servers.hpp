// What the probes talk to: a TCP listener, a closed port, and a tiny DNS responder that runs on
// the test's event loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "event_loop.hpp"
#include "weft/prefix.hpp"

namespace weft::test {

/// An owned socket bound to `address`, port chosen by the kernel.
class BoundSocket {
  public:
    BoundSocket(const Address& address, int type);
    ~BoundSocket();
    BoundSocket(const BoundSocket&) = delete;
    BoundSocket& operator=(const BoundSocket&) = delete;
    int fd() const { return fd_; }
    uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

/// A listening TCP socket that never accepts (the kernel completes handshakes on its own).
class TcpListener {
  public:
    explicit TcpListener(const Address& address);
    uint16_t port() const { return socket_.port(); }

  private:
    BoundSocket socket_;
};

/// A TCP or UDP port with nobody listening: TCP answers a reset, UDP an ICMP port unreachable.
/// A TCP port stays bound (but not listening) so nobody else takes it; a UDP socket bound to it
/// would receive, so the UDP port is found free and let go (this namespace is the test's own).
class ClosedPort {
  public:
    ClosedPort(const Address& address, int type);
    uint16_t port() const { return port_; }

  private:
    std::optional<BoundSocket> socket_;
    uint16_t port_ = 0;
};

/// Answers each DNS query with the query itself, turned into a response as configured.
class DnsResponder {
  public:
    struct Options {
        bool setResponseBit = true;  ///< false: echo the query as is (not a response)
        uint8_t rcode = 0;           ///< e.g. 5 REFUSED
        bool wrongId = false;        ///< answer with another id
    };
    DnsResponder(EventLoop& loop, const Address& address, Options options);
    DnsResponder(EventLoop& loop, const Address& address) : DnsResponder(loop, address, {}) {}
    ~DnsResponder() { loop_.cancel(watch_); }
    uint16_t port() const { return socket_.port(); }
    int queries() const { return queries_; }
    /// The question of the last query, parsed by libresolv: "example.org A" ("type N" if not A).
    const std::string& lastQuestion() const { return lastQuestion_; }

  private:
    void onReadable();
    EventLoop& loop_;
    BoundSocket socket_;
    EventLoop::Id watch_ = 0;
    Options options_;
    int queries_ = 0;
    std::string lastQuestion_;
};

}  // namespace weft::test
