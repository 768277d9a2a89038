#include "kernel/conntrack/ct_socket.hpp"

#include <arpa/inet.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "kernel/netlink_extack.hpp"

namespace weft::kernel::conntrack {

namespace {

// Deletions per sendmsg. Each is acked separately; 64 small acks stay far below the default
// receive buffer, so none is dropped (an overrun would lose the count).
constexpr size_t kBatchMessages = 64;
// Room for one deletion: a tuple with two IPv6 addresses, ports, zones and the id is under
// 200 bytes.
constexpr size_t kMessageRoom = 512;
constexpr size_t kReceiveBuffer = 64 * 1024;  // a dump sends up to 32 KiB per datagram

std::string errnoText(int err) {
    return std::strerror(err);
}

[[noreturn]] void fail(const std::string& what, int err) {
    throw std::runtime_error("conntrack: " + what + ": " + errnoText(err));
}

nlmsghdr* putHeader(char* at, uint8_t type, uint16_t flags, uint8_t family, uint32_t seq) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(at);
    nlh->nlmsg_type = uint16_t((NFNL_SUBSYS_CTNETLINK << 8) | type);
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    nlh->nlmsg_seq = seq;
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = family;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = 0;
    return nlh;
}

// "No such file or directory (reason)" from an NLMSG_ERROR reply.
std::string errorText(const nlmsghdr* nlh, int err) {
    std::string ext = extAckMessage(nlh);
    return errnoText(err) + (ext.empty() ? "" : " (" + ext + ")");
}

// A deletion names the flow only: its original tuple, zone and id. The kernel treats a
// deletion without a tuple as "flush the table", so a flow lacking one is refused here.
CtPtr deletionKey(const nf_conntrack* flow) {
    if (!nfct_attr_is_set(flow, ATTR_ORIG_L3PROTO) || !nfct_attr_is_set(flow, ATTR_ORIG_L4PROTO))
        throw std::logic_error("conntrack: a flow to delete lacks its original tuple");
    CtPtr key(nfct_new());
    if (!key)
        throw std::bad_alloc();
    nfct_copy(key.get(), flow, NFCT_CP_ORIG);
    for (auto attr : {ATTR_ORIG_ZONE, ATTR_ZONE})
        if (nfct_attr_is_set(flow, attr))
            nfct_set_attr_u16(key.get(), attr, nfct_get_attr_u16(flow, attr));
    return key;
}

}  // namespace

CtSocket::CtSocket() : seq_(uint32_t(time(nullptr))), rbuf_(kReceiveBuffer) {
    nl_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl_)
        fail("opening a netlink socket", errno);
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(nl_);
        fail("binding the netlink socket", e);
    }
    portId_ = mnl_socket_get_portid(nl_);
    int one = 1;
    // Acks without the echoed request keep the receive buffer small; extended acks explain.
    mnl_socket_setsockopt(nl_, NETLINK_CAP_ACK, &one, sizeof one);
    mnl_socket_setsockopt(nl_, NETLINK_EXT_ACK, &one, sizeof one);
    // Never hang weftd on a missing answer.
    timeval tv{10, 0};
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

CtSocket::~CtSocket() {
    mnl_socket_close(nl_);
}

void CtSocket::dump(const DumpFilter& filter, const std::function<void(CtPtr)>& each) {
    alignas(nlmsghdr) char req[1024];  // a header, two marks and the family
    uint32_t seq = seq_++;
    nlmsghdr* nlh = putHeader(req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, seq);
    std::unique_ptr<nfct_filter_dump, void (*)(nfct_filter_dump*)> kernelFilter(
        nfct_filter_dump_create(), nfct_filter_dump_destroy);
    if (!kernelFilter)
        throw std::bad_alloc();
    if (filter.family != AF_UNSPEC)
        nfct_filter_dump_set_attr_u8(kernelFilter.get(), NFCT_FILTER_DUMP_L3NUM, filter.family);
    if (filter.mark) {
        nfct_filter_dump_mark m{filter.mark->value, filter.mark->mask};
        nfct_filter_dump_set_attr(kernelFilter.get(), NFCT_FILTER_DUMP_MARK, &m);
    }
    if (nfct_nlmsg_build_filter(nlh, kernelFilter.get()) < 0)
        fail("building the dump filter", errno);
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
        fail("requesting a dump of the table", errno);

    while (true) {
        ssize_t n = mnl_socket_recvfrom(nl_, rbuf_.data(), rbuf_.size());
        if (n < 0)
            fail("reading the dump of the table", errno);
        auto* msg = reinterpret_cast<const nlmsghdr*>(rbuf_.data());
        int len = int(n);
        for (; mnl_nlmsg_ok(msg, len); msg = mnl_nlmsg_next(msg, &len)) {
            if (msg->nlmsg_seq != seq || msg->nlmsg_pid != portId_)
                continue;  // a late answer to an earlier request
            if (msg->nlmsg_type == NLMSG_DONE)
                return;
            if (msg->nlmsg_type == NLMSG_ERROR) {
                auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg));
                if (err->error == 0)
                    continue;
                throw std::runtime_error("conntrack: dumping the table: " +
                                         errorText(msg, -err->error));
            }
            if (msg->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW))
                continue;
            CtPtr ct(nfct_new());
            if (!ct)
                throw std::bad_alloc();
            if (nfct_nlmsg_parse(msg, ct.get()) < 0)
                fail("parsing a flow of the dump", errno);
            each(std::move(ct));
        }
    }
}

uint64_t CtSocket::destroy(const std::vector<CtPtr>& flows) {
    Tally tally;
    std::vector<char> buf(kBatchMessages * kMessageRoom);
    size_t used = 0, count = 0;
    uint32_t first = seq_;
    for (const auto& flow : flows) {
        CtPtr key = deletionKey(flow.get());
        nlmsghdr* nlh = putHeader(buf.data() + used, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
                                  nfct_get_attr_u8(key.get(), ATTR_ORIG_L3PROTO), seq_++);
        if (nfct_nlmsg_build(nlh, key.get()) < 0)
            fail("building a deletion", errno);
        if (nfct_attr_is_set(flow.get(), ATTR_ID))
            mnl_attr_put_u32(nlh, CTA_ID, htonl(nfct_get_attr_u32(flow.get(), ATTR_ID)));
        used += NLMSG_ALIGN(nlh->nlmsg_len);
        if (++count == kBatchMessages) {
            sendBatch(buf.data(), used, first, count, tally);
            used = count = 0;
            first = seq_;
        }
    }
    if (count > 0)
        sendBatch(buf.data(), used, first, count, tally);
    if (tally.failed > 0)
        throw std::runtime_error("conntrack: " + std::to_string(tally.failed) + " of " +
                                 std::to_string(flows.size()) + " deletions failed (" +
                                 std::to_string(tally.deleted) +
                                 " flows deleted); the first: " + tally.firstError);
    return tally.deleted;
}

void CtSocket::sendBatch(const char* buf, size_t len, uint32_t first, size_t count, Tally& tally) {
    if (mnl_socket_sendto(nl_, buf, len) < 0)
        fail("sending deletions", errno);
    size_t pending = count;
    while (pending > 0) {
        ssize_t n = mnl_socket_recvfrom(nl_, rbuf_.data(), rbuf_.size());
        if (n < 0)
            fail("reading the answers to deletions", errno);
        auto* msg = reinterpret_cast<const nlmsghdr*>(rbuf_.data());
        int len = int(n);
        for (; mnl_nlmsg_ok(msg, len); msg = mnl_nlmsg_next(msg, &len)) {
            // Unsigned arithmetic: sequence numbers may wrap within a batch.
            if (msg->nlmsg_type != NLMSG_ERROR || msg->nlmsg_pid != portId_ ||
                msg->nlmsg_seq - first >= count)
                continue;
            --pending;
            int err = -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg))->error;
            if (err == 0)
                ++tally.deleted;
            else if (err != ENOENT && tally.failed++ == 0)
                tally.firstError = errorText(msg, err);
        }
    }
}

}  // namespace weft::kernel::conntrack
