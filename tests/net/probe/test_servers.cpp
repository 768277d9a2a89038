#include "test_servers.hpp"

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace weft::test {

namespace {

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

BoundSocket::BoundSocket(const Address& address, int type) {
    sockaddr_storage sa{};
    socklen_t length;
    if (address.family == Family::V4) {
        auto* in = reinterpret_cast<sockaddr_in*>(&sa);
        in->sin_family = AF_INET;
        std::memcpy(&in->sin_addr, address.bytes.data(), 4);
        length = sizeof *in;
    } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa);
        in6->sin6_family = AF_INET6;
        std::memcpy(&in6->sin6_addr, address.bytes.data(), 16);
        length = sizeof *in6;
    }
    fd_ = ::socket(sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        fail("socket");
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), length) != 0)
        fail("bind");
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &length) != 0)
        fail("getsockname");
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&sa)->sin_port);  // same offset in sockaddr_in6
}

BoundSocket::~BoundSocket() {
    ::close(fd_);
}

TcpListener::TcpListener(const Address& address) : socket_(address, SOCK_STREAM) {
    if (::listen(socket_.fd(), 1024) != 0)
        fail("listen");
}

ClosedPort::ClosedPort(const Address& address, int type) {
    socket_.emplace(address, type);
    port_ = socket_->port();
    if (type == SOCK_DGRAM)
        socket_.reset();
}

DnsResponder::DnsResponder(EventLoop& loop, const Address& address, Options options)
    : loop_(loop), socket_(address, SOCK_DGRAM), options_(options) {
    watch_ = loop.addReadable(socket_.fd(), [this] { onReadable(); });
}

void DnsResponder::onReadable() {
    std::array<uint8_t, 512> buffer;
    sockaddr_storage from{};
    socklen_t fromLength = sizeof from;
    ssize_t n = ::recvfrom(socket_.fd(), buffer.data(), buffer.size(), 0,
                           reinterpret_cast<sockaddr*>(&from), &fromLength);
    if (n < NS_HFIXEDSZ)
        return;
    ++queries_;
    ns_msg message;
    ns_rr question;
    if (ns_initparse(buffer.data(), int(n), &message) == 0 &&
        ns_parserr(&message, ns_s_qd, 0, &question) == 0)
        lastQuestion_ =
            std::string(ns_rr_name(question)) +
            (ns_rr_type(question) == ns_t_a ? " A"
                                            : " type " + std::to_string(ns_rr_type(question)));
    if (options_.setResponseBit)
        buffer[2] |= 0x80;  // QR (RFC 1035 4.1.1)
    buffer[3] = uint8_t((buffer[3] & 0xf0) | (options_.rcode & 0x0f));
    if (options_.wrongId)
        buffer[0] ^= 0xff;
    ::sendto(socket_.fd(), buffer.data(), size_t(n), 0, reinterpret_cast<sockaddr*>(&from),
             fromLength);
}

}  // namespace weft::test
