#include "rtnl_socket.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>
#include <vector>

namespace weft::kernel::rtnl {

std::string errnoText(int negErrno) {
    return std::strerror(-negErrno);
}

RtnlSocket::RtnlSocket() : seq_(uint32_t(time(nullptr))) {
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (!nl_)
        throw std::system_error(errno, std::generic_category(), "mnl_socket_open(route)");
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(nl_);
        throw std::system_error(e, std::generic_category(), "mnl_socket_bind(route)");
    }
    int size = 32 * 1024 * 1024;
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    timeval tv{10, 0};
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

RtnlSocket::~RtnlSocket() {
    mnl_socket_close(nl_);
}

int RtnlSocket::request(uint16_t type, uint16_t flags,
                        const std::function<void(nlmsghdr*)>& build) {
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = uint16_t(NLM_F_REQUEST | NLM_F_ACK | flags);
    nlh->nlmsg_seq = ++seq_;
    build(nlh);
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    std::vector<char> rbuf(MNL_SOCKET_BUFFER_SIZE);
    while (true) {
        ssize_t n = mnl_socket_recvfrom(nl_, rbuf.data(), rbuf.size());
        if (n < 0)
            return -errno;
        int r = mnl_cb_run(rbuf.data(), size_t(n), nlh->nlmsg_seq, mnl_socket_get_portid(nl_),
                           nullptr, nullptr);
        if (r == MNL_CB_STOP)
            return 0;
        if (r < 0)
            return -errno;
    }
}

void RtnlSocket::dump(uint16_t type, const std::function<void(nlmsghdr*)>& build,
                      const std::function<void(const nlmsghdr*)>& each) {
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++seq_;
    build(nlh);
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
        throw std::system_error(errno, std::generic_category(), "rtnetlink dump");
    }
    std::vector<char> rbuf(MNL_SOCKET_BUFFER_SIZE * 8);
    auto cb = [](const nlmsghdr* h, void* data) -> int {
        (*static_cast<const std::function<void(const nlmsghdr*)>*>(data))(h);
        return MNL_CB_OK;
    };
    while (true) {
        ssize_t n = mnl_socket_recvfrom(nl_, rbuf.data(), rbuf.size());
        if (n < 0)
            throw std::system_error(errno, std::generic_category(), "rtnetlink dump");
        int r = mnl_cb_run(rbuf.data(), size_t(n), nlh->nlmsg_seq, mnl_socket_get_portid(nl_), cb,
                           const_cast<std::function<void(const nlmsghdr*)>*>(&each));
        if (r == MNL_CB_STOP)
            return;
        if (r < 0)
            throw std::system_error(errno, std::generic_category(), "rtnetlink dump");
    }
}

}  // namespace weft::kernel::rtnl
