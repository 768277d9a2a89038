#include "nl_socket.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/rtnl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

namespace weft::kernel::rtnl {
namespace {

struct CbFree {
    void operator()(nl_cb* cb) const { nl_cb_put(cb); }
};
using NlCbPtr = std::unique_ptr<nl_cb, CbFree>;

// What the error callback saw.
struct Answer {
    NlStatus status;
    bool done = false;
};

// The extended ack follows the (capped) echo of our request when NLM_F_ACK_TLVS is set.
std::string extackText(const nlmsghdr* hdr, const nlmsgerr* e) {
    if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
        return {};
    size_t off = sizeof(nlmsgerr);
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
        off += e->msg.nlmsg_len - sizeof(nlmsghdr);
    size_t payload = hdr->nlmsg_len - NLMSG_HDRLEN;
    if (off >= payload)
        return {};
    nlattr* tb[NLMSGERR_ATTR_MAX + 1] = {};
    auto* head =
        reinterpret_cast<nlattr*>(const_cast<char*>(reinterpret_cast<const char*>(e) + off));
    if (nla_parse(tb, NLMSGERR_ATTR_MAX, head, int(payload - off), nullptr) < 0 ||
        !tb[NLMSGERR_ATTR_MSG])
        return {};
    return nla_get_string(tb[NLMSGERR_ATTR_MSG]);
}

int onError(sockaddr_nl*, nlmsgerr* e, void* arg) {
    auto* a = static_cast<Answer*>(arg);
    auto* hdr = reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
    a->status.error = -e->error;
    a->status.extack = extackText(hdr, e);
    a->done = true;
    return NL_STOP;
}

int onAck(nl_msg*, void* arg) {
    static_cast<Answer*>(arg)->done = true;
    return NL_STOP;
}

int onValid(nl_msg* msg, void* arg) {
    (*static_cast<const std::function<void(nlmsghdr*)>*>(arg))(nlmsg_hdr(msg));
    return NL_OK;
}

NlCbPtr makeCb(Answer& answer) {
    NlCbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb)
        throw std::bad_alloc();
    nl_cb_err(cb.get(), NL_CB_CUSTOM, onError, &answer);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, onAck, &answer);
    return cb;
}

// libnl's own codes for failures that happen before the kernel answers.
NlStatus fromLibnl(int err) {
    if (err == -NLE_DUMP_INTR)
        return {EINTR, "dump interrupted"};
    return {EIO, nl_geterror(err)};
}

}  // namespace

std::string NlStatus::str() const {
    std::string s = std::strerror(error);
    if (!extack.empty())
        s += " (" + extack + ")";
    return s;
}

NlMsgPtr allocMsg(int type, int flags) {
    NlMsgPtr m(nlmsg_alloc_simple(type, flags));
    if (!m)
        throw std::bad_alloc();
    return m;
}

NlSocket::NlSocket() : sk_(nl_socket_alloc()) {
    if (!sk_)
        throw std::bad_alloc();
    if (int err = nl_connect(sk_.get(), NETLINK_ROUTE); err < 0)
        throw std::system_error(EIO, std::generic_category(),
                                std::string("rtnetlink socket: ") + nl_geterror(err));
    int fd = nl_socket_get_fd(sk_.get());
    int one = 1;
    // The kernel then says *why* ("Invalid prefix for given prefix length"), and echoes only
    // the header of our request.
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    nl_socket_set_buffer_size(sk_.get(), 1 << 20, 1 << 20);
    timeval tv{10, 0};  // never hang the daemon on a lost answer
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

uint32_t NlSocket::portId() const {
    return nl_socket_get_local_port(sk_.get());
}

NlStatus NlSocket::request(nl_msg* msg) {
    Answer answer;
    auto cb = makeCb(answer);
    if (int err = nl_send_auto(sk_.get(), msg); err < 0)
        return fromLibnl(err);
    while (!answer.done) {
        int err = nl_recvmsgs(sk_.get(), cb.get());
        if (answer.done)
            break;
        if (err < 0)
            return fromLibnl(err);
    }
    return answer.status;
}

NlStatus NlSocket::dump(int type, int family, const std::function<void(nlmsghdr*)>& each,
                        const std::function<void()>& restart) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        NlStatus st = dumpOnce(type, family, each);
        if (st.error != EINTR)
            return st;
        restart();
    }
    return {EINTR, "the dump was interrupted again and again"};
}

NlStatus NlSocket::dumpOnce(int type, int family, const std::function<void(nlmsghdr*)>& each) {
    Answer answer;
    auto cb = makeCb(answer);
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, onValid,
              const_cast<std::function<void(nlmsghdr*)>*>(&each));
    if (int err = nl_rtgen_request(sk_.get(), type, family, NLM_F_DUMP); err < 0)
        return fromLibnl(err);
    int err = nl_recvmsgs(sk_.get(), cb.get());
    if (answer.done)
        return answer.status;
    return err < 0 ? fromLibnl(err) : NlStatus{};
}

}  // namespace weft::kernel::rtnl
