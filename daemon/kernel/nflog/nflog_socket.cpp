#include "kernel/nflog/nflog_socket.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
// After <sys/socket.h> and <libmnl/libmnl.h>: the library header needs both.
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink.h>

namespace weft::kernel {
namespace {

// Room for the kernel's batched messages (its nlbufsiz default is below this).
constexpr size_t kBufferSize = 64 * 1024;
// A deep receive queue absorbs bursts between two loop iterations.
constexpr int kReceiveBuffer = 4 * 1024 * 1024;
// The kernel answers a config message at once; this only guards against a lost ack.
constexpr auto kAckTimeout = std::chrono::seconds(2);
// Flush the kernel's batch after 10 ms (1/100 s units), so one packet is not held for a second.
constexpr uint32_t kFlushTimeout = 1;

std::runtime_error groupError(uint16_t group, const char* what, int err) {
    std::string msg =
        "nflog group " + std::to_string(group) + ": cannot " + what + ": " + std::strerror(err);
    // A group belongs to one socket: a second listener gets EPERM (other socket) or EBUSY.
    if (err == EPERM || err == EBUSY)
        msg += " (another socket already listens on this group)";
    return std::runtime_error(msg);
}

}  // namespace

NflogSocket::NflogSocket(std::function<void(std::span<const uint8_t>)> onMessage,
                         std::function<void()> onOverrun)
    : buffer_(kBufferSize), onMessage_(std::move(onMessage)), onOverrun_(std::move(onOverrun)) {
    nl_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (nl_ == nullptr)
        throw std::system_error(errno, std::generic_category(), "nflog: netlink socket");
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
        int err = errno;
        mnl_socket_close(nl_);
        throw std::system_error(err, std::generic_category(), "nflog: netlink bind");
    }
    int size = kReceiveBuffer;
    // FORCE passes rmem_max as root; without the privilege the plain option still helps.
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

NflogSocket::~NflogSocket() {
    // Closing the socket releases its groups in the kernel (NETLINK_URELEASE).
    mnl_socket_close(nl_);
}

int NflogSocket::fd() const {
    return mnl_socket_get_fd(nl_);
}

void NflogSocket::bind(uint16_t group, uint32_t copyRange) {
    alignas(nlmsghdr) std::array<uint8_t, 256> buf{};
    nlmsghdr* nlh = nflog_nlmsg_put_header(reinterpret_cast<char*>(buf.data()), NFULNL_MSG_CONFIG,
                                           AF_UNSPEC, group);
    // One message: the kernel creates the instance for the command, then applies the rest.
    nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND);
    nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, copyRange);
    mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(kFlushTimeout));
    mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
    if (int err = configure({buf.data(), nlh->nlmsg_len}); err != 0)
        throw groupError(group, "bind", err);
}

void NflogSocket::unbind(uint16_t group) {
    alignas(nlmsghdr) std::array<uint8_t, 128> buf{};
    nlmsghdr* nlh = nflog_nlmsg_put_header(reinterpret_cast<char*>(buf.data()), NFULNL_MSG_CONFIG,
                                           AF_UNSPEC, group);
    nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_UNBIND);
    if (int err = configure({buf.data(), nlh->nlmsg_len}); err != 0)
        throw groupError(group, "unbind", err);
}

int NflogSocket::configure(std::span<uint8_t> message) {
    auto* nlh = reinterpret_cast<nlmsghdr*>(message.data());
    uint32_t seq = ++seq_;
    if (seq == 0)
        seq = ++seq_;  // 0 is what the kernel's packet messages carry
    nlh->nlmsg_seq = seq;
    nlh->nlmsg_flags |= NLM_F_ACK;
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
        return errno;
    auto deadline = std::chrono::steady_clock::now() + kAckTimeout;
    for (;;) {
        ssize_t n = receive();
        if (n > 0) {
            if (auto answer = handleDatagram({buffer_.data(), size_t(n)}, seq))
                return *answer;
            continue;
        }
        if (n < 0)
            continue;  // an overrun, already counted; the ack may still come
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return ETIMEDOUT;
        pollfd p{fd(), POLLIN, 0};
        if (poll(&p, 1, int(left.count()) + 1) < 0 && errno != EINTR)
            return errno;
    }
}

ssize_t NflogSocket::receive() {
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl_, buffer_.data(), buffer_.size());
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        // ENOBUFS: the kernel dropped messages; ENOSPC: libmnl saw one truncated. Both lost
        // packets, neither breaks the socket.
        if (errno == ENOBUFS || errno == ENOSPC) {
            onOverrun_();
            return -1;
        }
        throw std::system_error(errno, std::generic_category(), "nflog: receive");
    }
}

std::optional<int> NflogSocket::handleDatagram(std::span<const uint8_t> data, uint32_t ackSeq) {
    std::optional<int> answer;
    auto* nlh = reinterpret_cast<const nlmsghdr*>(data.data());
    int len = int(data.size());
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type == NLMSG_ERROR) {
            if (ackSeq != 0 && nlh->nlmsg_seq == ackSeq &&
                mnl_nlmsg_get_payload_len(nlh) >= sizeof(nlmsgerr)) {
                auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
                answer = -err->error;
            }
        } else if (nlh->nlmsg_type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) {
            onMessage_({reinterpret_cast<const uint8_t*>(nlh), nlh->nlmsg_len});
        }
    }
    return answer;
}

void NflogSocket::readAvailable(size_t maxDatagrams) {
    for (size_t i = 0; i < maxDatagrams; ++i) {
        ssize_t n = receive();
        if (n == 0)
            return;
        if (n > 0)
            handleDatagram({buffer_.data(), size_t(n)}, 0);
    }
}

}  // namespace weft::kernel
