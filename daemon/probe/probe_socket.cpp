#include "probe/probe_socket.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace weft::probe {

Fd::~Fd() {
    if (fd_ >= 0)
        ::close(fd_);
}

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

SockAddr sockAddr(const ProbeRequest& request, uint16_t port) {
    SockAddr sa;
    const Address& a = request.target;
    if (a.family == Family::V4) {
        auto* in = reinterpret_cast<sockaddr_in*>(&sa.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        std::memcpy(&in->sin_addr, a.bytes.data(), 4);
        sa.length = sizeof(sockaddr_in);
    } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        std::memcpy(&in6->sin6_addr, a.bytes.data(), 16);
        // fe80::/10 means nothing without a link: take the probe's interface.
        if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr) && !request.interface.empty())
            in6->sin6_scope_id = if_nametoindex(request.interface.c_str());
        sa.length = sizeof(sockaddr_in6);
    }
    return sa;
}

std::optional<Address> addressOf(const sockaddr_storage& sa) {
    if (sa.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
        return Address::fromBytes(Family::V4, reinterpret_cast<const uint8_t*>(&in.sin_addr));
    }
    if (sa.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
        return Address::fromBytes(Family::V6, reinterpret_cast<const uint8_t*>(&in6.sin6_addr));
    }
    return std::nullopt;
}

Fd openProbeSocket(const ProbeRequest& request, int type, int protocol) {
    int family = request.target.family == Family::V4 ? AF_INET : AF_INET6;
    Fd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
    if (fd.get() < 0)
        throwErrno("socket");
    if (!request.interface.empty()) {
        // Checked first so a typo reads as such, not as SO_BINDTODEVICE's "no such device".
        if (if_nametoindex(request.interface.c_str()) == 0)
            throw std::runtime_error("unknown interface \"" + request.interface + "\"");
        if (setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, request.interface.data(),
                       socklen_t(request.interface.size())) != 0)
            throwErrno("bind to interface " + request.interface);
    }
    if (request.fwmark) {
        uint32_t mark = *request.fwmark;
        if (setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0)
            throwErrno("set fwmark");
    }
    return fd;
}

std::string errnoText(int err) {
    std::string text = std::strerror(err);
    if (!text.empty())
        text[0] = char(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

void throwErrno(const std::string& what) {
    throw std::runtime_error(what + ": " + errnoText(errno));
}

std::chrono::microseconds since(Clock::time_point start) {
    return std::chrono::ceil<std::chrono::microseconds>(Clock::now() - start);
}

}  // namespace weft::probe
