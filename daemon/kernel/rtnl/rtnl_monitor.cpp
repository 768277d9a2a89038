#include "rtnl_monitor.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <system_error>

namespace weft::kernel {

RtnlMonitor::RtnlMonitor(uint8_t protocol, std::vector<uint32_t> ownPorts)
    : sk_(nl_socket_alloc()), protocol_(protocol), ownPorts_(std::move(ownPorts)) {
    if (!sk_)
        throw std::bad_alloc();
    nl_socket_disable_seq_check(sk_.get());  // notifications carry no sequence of ours
    int err = nl_connect(sk_.get(), NETLINK_ROUTE);
    if (err >= 0)
        err = nl_socket_add_memberships(sk_.get(), RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                        RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
                                        RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE, 0);
    if (err >= 0)
        err = nl_socket_set_nonblocking(sk_.get());
    if (err < 0)
        throw std::system_error(EIO, std::generic_category(),
                                std::string("rtnetlink monitor: ") + nl_geterror(err));
    // A burst (a link with many routes going away) must not overrun us; the forced size
    // needs CAP_NET_ADMIN, the plain one is the fallback.
    int size = 8 << 20;
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

int RtnlMonitor::fd() const {
    return nl_socket_get_fd(sk_.get());
}

void RtnlMonitor::classify(const nlmsghdr* nlh, Events& ev) const {
    auto* h = const_cast<nlmsghdr*>(nlh);
    bool own = std::find(ownPorts_.begin(), ownPorts_.end(), nlh->nlmsg_pid) != ownPorts_.end();
    switch (nlh->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK:
        case RTM_NEWADDR:
        case RTM_DELADDR:
            ev.links = true;
            break;
        case RTM_NEWROUTE:
        case RTM_DELROUTE:
            if (!own && nlmsg_datalen(h) >= int(sizeof(rtmsg)) &&
                static_cast<const rtmsg*>(nlmsg_data(h))->rtm_protocol == protocol_)
                ev.weftRoutes = true;
            break;
        case RTM_NEWRULE:
        case RTM_DELRULE: {
            nlattr* proto = nlmsg_find_attr(h, sizeof(fib_rule_hdr), FRA_PROTOCOL);
            if (!own && proto && nla_get_u8(proto) == protocol_)
                ev.weftRules = true;
            break;
        }
        default:
            break;
    }
}

RtnlMonitor::Events RtnlMonitor::drain() {
    Events ev;
    std::vector<char> buf(1 << 16);
    while (true) {
        ssize_t n = recv(fd(), buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == ENOBUFS) {  // events were lost: assume anything changed
            ev = Events{true, true, true};
            continue;
        }
        if (n <= 0)
            break;  // EAGAIN: nothing more pending
        auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
        int len = int(n);
        for (; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len))
            classify(nlh, ev);
    }
    return ev;
}

}  // namespace weft::kernel
