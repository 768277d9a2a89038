// A NETLINK_ROUTE socket with libnl-3: acked requests that keep the kernel's errno and its
// extended-ack text, and dumps that are retried when the kernel interrupts them.
#pragma once

#include <netlink/msg.h>
#include <netlink/socket.h>

#include <functional>
#include <memory>
#include <string>

namespace weft::kernel::rtnl {

struct NlMsgFree {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using NlMsgPtr = std::unique_ptr<nl_msg, NlMsgFree>;

struct NlSockFree {
    void operator()(nl_sock* s) const { nl_socket_free(s); }
};
using NlSockPtr = std::unique_ptr<nl_sock, NlSockFree>;

/// The outcome of one request: errno 0 on success, else the kernel's errno and, when it sent
/// one, its extended-ack message ("Nexthop device is not up").
struct NlStatus {
    int error = 0;  ///< positive errno, 0 = success
    std::string extack;
    bool ok() const { return error == 0; }
    /// "Network is down (Nexthop device is not up)".
    std::string str() const;
};

class NlSocket {
  public:
    /// Connects a NETLINK_ROUTE socket (no multicast groups). Throws std::system_error.
    NlSocket();

    /// Netlink port id: notifications caused by this socket's requests carry it.
    uint32_t portId() const;
    /// Sends `msg` with NLM_F_ACK and waits for the kernel's answer.
    NlStatus request(nl_msg* msg);
    /// Dumps `type` (RTM_GETROUTE, ...) of `family`; `each` sees every message. When the kernel
    /// interrupts the dump (the table changed meanwhile) it calls `restart` and dumps again.
    NlStatus dump(int type, int family, const std::function<void(nlmsghdr*)>& each,
                  const std::function<void()>& restart);
    /// The libnl socket, for libnl-route's caches.
    nl_sock* raw() const { return sk_.get(); }

  private:
    NlStatus dumpOnce(int type, int family, const std::function<void(nlmsghdr*)>& each);
    NlSockPtr sk_;
};

/// Allocates a message or throws std::bad_alloc.
NlMsgPtr allocMsg(int type, int flags);

}  // namespace weft::kernel::rtnl
