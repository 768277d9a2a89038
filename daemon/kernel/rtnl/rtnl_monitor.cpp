#include "rtnl_monitor.hpp"

#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

#include "rtnl_socket.hpp"

namespace weft::kernel {
using rtnl::forEachAttr;

RtnlMonitor::RtnlMonitor(uint8_t protocol, std::vector<uint32_t> ownPorts)
    : protocol_(protocol), ownPorts_(std::move(ownPorts)) {
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (!nl_)
        throw std::system_error(errno, std::generic_category(), "rtnl monitor socket");
    unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
                      RTMGRP_IPV6_ROUTE | RTMGRP_IPV4_RULE;
    if (mnl_socket_bind(nl_, groups, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(nl_);
        throw std::system_error(e, std::generic_category(), "rtnl monitor bind");
    }
    int group = RTNLGRP_IPV6_RULE;  // beyond the legacy 32-bit group mask
    mnl_socket_setsockopt(nl_, NETLINK_ADD_MEMBERSHIP, &group, sizeof group);
    int size = 8 * 1024 * 1024;
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    fcntl(mnl_socket_get_fd(nl_), F_SETFL, O_NONBLOCK);
}

RtnlMonitor::~RtnlMonitor() {
    mnl_socket_close(nl_);
}

int RtnlMonitor::fd() const {
    return mnl_socket_get_fd(nl_);
}

RtnlMonitor::Events RtnlMonitor::drain() {
    Events ev;
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
    while (true) {
        ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
        if (n < 0) {
            if (errno == ENOBUFS) {  // lost events: assume anything changed
                ev = Events{true, true, true};
                continue;
            }
            break;
        }
        auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
        int len = int(n);
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            bool ours =
                std::find(ownPorts_.begin(), ownPorts_.end(), nlh->nlmsg_pid) != ownPorts_.end();
            if (ours && nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK &&
                nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) {
                continue;
            }
            switch (nlh->nlmsg_type) {
                case RTM_NEWLINK:
                case RTM_DELLINK:
                case RTM_NEWADDR:
                case RTM_DELADDR:
                    ev.links = true;
                    break;
                case RTM_NEWROUTE:
                case RTM_DELROUTE: {
                    auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
                    if (rtm->rtm_protocol == protocol_)
                        ev.weftRoutes = true;
                    break;
                }
                case RTM_NEWRULE:
                case RTM_DELRULE: {
                    forEachAttr(nlh, sizeof(fib_rule_hdr), [&](const nlattr* a) {
                        if (mnl_attr_get_type(a) == FRA_PROTOCOL &&
                            mnl_attr_get_u8(a) == protocol_) {
                            ev.weftRules = true;
                        }
                    });
                    break;
                }
                default:
                    break;
            }
        }
    }
    return ev;
}

}  // namespace weft::kernel
