#include "nft_socket.hpp"

#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <system_error>

#include "kernel/netlink_extack.hpp"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

namespace weft::kernel::nft {

NftSocket::NftSocket() : seq_(uint32_t(time(nullptr))) {
    nl_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl_)
        throw std::system_error(errno, std::generic_category(), "mnl_socket_open2(netfilter)");
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(nl_);
        throw std::system_error(e, std::generic_category(), "mnl_socket_bind(netfilter)");
    }
    int one = 1;
    mnl_socket_setsockopt(nl_, NETLINK_EXT_ACK, &one, sizeof one);
    // Large batches (100k elements) and their acks need room.
    int size = 64 * 1024 * 1024;
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    // Never hang weftd on a missing ack.
    timeval tv{10, 0};
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

NftSocket::~NftSocket() {
    mnl_socket_close(nl_);
}

// Allocated once and never zeroed: a fresh megabyte per call cost a memset and, since malloc
// maps it anew, page faults on every apply. Only the pages the kernel writes become resident.
char* NftSocket::receiveBuffer() {
    if (!rbuf_)
        rbuf_ = std::make_unique_for_overwrite<char[]>(kReceiveBuffer);
    return rbuf_.get();
}

uint32_t NftSocket::portId() const {
    return mnl_socket_get_portid(nl_);
}

std::vector<std::string> NftSocket::sendBatch(const std::vector<BatchMessage>& messages) {
    std::vector<std::string> errors;
    last_ = {};
    if (messages.empty())
        return errors;
    std::map<uint32_t, const BatchMessage*> bySeq;
    // Batch pages of 1 MiB; messages are built one at a time.
    const size_t chunk = 1 << 20;
    auto* batch = nftnl_batch_alloc(chunk, chunk);
    std::unique_ptr<nftnl_batch, void (*)(nftnl_batch*)> guard(batch, nftnl_batch_free);
    nftnl_batch_begin(static_cast<char*>(nftnl_batch_buffer(batch)), seq_++);
    nftnl_batch_update(batch);
    for (auto& m : messages) {
        uint32_t seq = seq_++;
        auto* nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(nftnl_batch_buffer(batch)), m.type,
                                          m.family, m.flags | NLM_F_ACK, seq);
        m.build(nlh);
        bySeq[seq] = &m;
        nftnl_batch_update(batch);
    }
    nftnl_batch_end(static_cast<char*>(nftnl_batch_buffer(batch)), seq_++);
    nftnl_batch_update(batch);
    last_.messages = messages.size();
    for (auto& m : messages)
        last_.elements += m.elements;

    // The batch may span several pages of the iovec: send it as one sendmsg.
    int iovlen = nftnl_batch_iovec_len(batch);
    std::vector<iovec> iov(static_cast<size_t>(iovlen));
    nftnl_batch_iovec(batch, iov.data(), uint32_t(iovlen));
    sockaddr_nl snl{};
    snl.nl_family = AF_NETLINK;
    msghdr msg{};
    msg.msg_name = &snl;
    msg.msg_namelen = sizeof snl;
    msg.msg_iov = iov.data();
    msg.msg_iovlen = size_t(iovlen);
    if (sendmsg(mnl_socket_get_fd(nl_), &msg, 0) < 0) {
        errors.push_back(std::string("sending the nftables batch: ") + std::strerror(errno));
        return errors;
    }
    // Every message is acked; read until all are answered.
    size_t pending = messages.size();
    char* rbuf = receiveBuffer();
    while (pending > 0) {
        ssize_t n = mnl_socket_recvfrom(nl_, rbuf, kReceiveBuffer);
        if (n < 0) {
            errors.push_back(std::string("reading nftables acks: ") + std::strerror(errno));
            break;
        }
        auto* nlh = reinterpret_cast<const nlmsghdr*>(rbuf);
        int len = int(n);
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            if (nlh->nlmsg_type != NLMSG_ERROR)
                continue;
            auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
            auto it = bySeq.find(nlh->nlmsg_seq);
            if (it == bySeq.end()) {
                if (err->error == 0)
                    continue;
                // An error about the batch itself (e.g. out of memory): no more acks follow.
                errors.push_back(std::string("nftables batch: ") + std::strerror(-err->error));
                return errors;
            }
            --pending;
            if (err->error != 0) {
                std::string text = std::strerror(-err->error);
                std::string ext = extAckMessage(nlh);
                errors.push_back(it->second->what + ": " + text +
                                 (ext.empty() ? "" : " (" + ext + ")"));
            }
        }
    }
    return errors;
}

void NftSocket::dump(uint16_t type, uint16_t family, const std::function<void(nlmsghdr*)>& build,
                     const std::function<void(const nlmsghdr*)>& onMessage) {
    char* buf = receiveBuffer();
    uint32_t seq = seq_++;
    auto* nlh = nftnl_nlmsg_build_hdr(buf, type, family, NLM_F_DUMP, seq);
    if (build)
        build(nlh);
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
        throw std::system_error(errno, std::generic_category(), "nftables dump request");
    }
    uint32_t port = portId();
    struct Ctx {
        const std::function<void(const nlmsghdr*)>* fn;
    } ctx{&onMessage};
    auto cb = [](const nlmsghdr* h, void* data) -> int {
        (*static_cast<Ctx*>(data)->fn)(h);
        return MNL_CB_OK;
    };
    while (true) {
        ssize_t n = mnl_socket_recvfrom(nl_, buf, kReceiveBuffer);
        if (n < 0)
            throw std::system_error(errno, std::generic_category(), "nftables dump");
        int r = mnl_cb_run(buf, size_t(n), seq, port, cb, &ctx);
        if (r == MNL_CB_STOP)
            break;
        if (r < 0) {
            int e = errno;
            if (e == ENOENT)
                break;       // e.g. the table vanished
            if (e == EINTR)  // the ruleset changed meanwhile: the caller reads again
                skipRestOfDump(buf, seq, n);
            throw std::system_error(e, std::generic_category(), "nftables dump");
        }
    }
}

// Reads and drops the rest of an interrupted dump, so the next request starts clean.
void NftSocket::skipRestOfDump(char* buf, uint32_t seq, ssize_t n) {
    while (true) {
        auto* nlh = reinterpret_cast<const nlmsghdr*>(buf);
        int len = int(n);
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            if (nlh->nlmsg_seq == seq &&
                (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR))
                return;
        }
        n = mnl_socket_recvfrom(nl_, buf, kReceiveBuffer);
        if (n <= 0)
            return;
    }
}

}  // namespace weft::kernel::nft
