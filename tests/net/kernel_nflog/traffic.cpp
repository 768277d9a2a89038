#include "traffic.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <stdexcept>
#include <system_error>

namespace weft::test {
namespace {

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {
        if (fd < 0)
            throw std::system_error(errno, std::generic_category(), "socket");
    }
    ~Fd() { close(fd); }
};

// A socket address for `address`:`port`, v4 or v6 by the text's form.
sockaddr_storage endpoint(const std::string& address, uint16_t port, socklen_t& len) {
    sockaddr_storage ss{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        len = sizeof *v6;
    } else {
        throw std::invalid_argument("bad address " + address);
    }
    return ss;
}

uint16_t localPort(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        throw std::system_error(errno, std::generic_category(), "getsockname");
    if (ss.ss_family == AF_INET)
        return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

void check(int r, const char* what) {
    if (r < 0)
        throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

uint16_t sendUdp(const std::string& destination, uint16_t port, uint16_t sourcePort,
                 bool destinationOptions) {
    socklen_t len = 0;
    sockaddr_storage to = endpoint(destination, port, len);
    Fd s(socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (sourcePort != 0) {
        socklen_t blen = 0;
        sockaddr_storage from =
            endpoint(to.ss_family == AF_INET ? "0.0.0.0" : "::", sourcePort, blen);
        check(bind(s.fd, reinterpret_cast<sockaddr*>(&from), blen), "bind");
    }
    if (destinationOptions) {
        // One PadN option filling the 8-byte header: next header and length are the kernel's.
        std::array<uint8_t, 8> opts{0, 0, 1, 4, 0, 0, 0, 0};
        check(setsockopt(s.fd, IPPROTO_IPV6, IPV6_DSTOPTS, opts.data(), opts.size()),
              "IPV6_DSTOPTS");
    }
    const char payload[] = "weft";
    check(int(sendto(s.fd, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&to), len)),
          "sendto");
    return localPort(s.fd);
}

uint16_t connectTcp(const std::string& address, uint16_t port) {
    socklen_t len = 0;
    sockaddr_storage at = endpoint(address, port, len);
    Fd listener(socket(at.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    check(bind(listener.fd, reinterpret_cast<sockaddr*>(&at), len), "bind");
    check(listen(listener.fd, 4), "listen");
    Fd client(socket(at.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    check(connect(client.fd, reinterpret_cast<sockaddr*>(&at), len), "connect");
    return localPort(client.fd);
}

void sendSctp(uint16_t sourcePort, uint16_t destinationPort) {
    Fd s(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_SCTP));
    // Common header: ports, verification tag, checksum (the receiver drops it; nftables logs
    // it on the way out first).
    std::array<uint8_t, 12> header{};
    header[0] = uint8_t(sourcePort >> 8);
    header[1] = uint8_t(sourcePort);
    header[2] = uint8_t(destinationPort >> 8);
    header[3] = uint8_t(destinationPort);
    socklen_t len = 0;
    sockaddr_storage to = endpoint("127.0.0.1", 0, len);
    check(int(sendto(s.fd, header.data(), header.size(), 0, reinterpret_cast<sockaddr*>(&to), len)),
          "sendto sctp");
}

bool runUntil(EventLoop& loop, const std::function<bool()>& done, int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        int r = sd_event_run(loop.get(), 10'000);
        if (r < 0)
            throw std::system_error(-r, std::generic_category(), "sd_event_run");
    }
    return done();
}

void runFor(EventLoop& loop, int ms) {
    runUntil(
        loop, [] { return false; }, ms);
}

}  // namespace weft::test
