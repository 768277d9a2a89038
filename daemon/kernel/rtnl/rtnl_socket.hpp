// A NETLINK_ROUTE socket: acked requests and dumps, with libmnl.
#pragma once

#include <libmnl/libmnl.h>

#include <functional>
#include <string>

namespace weft::kernel::rtnl {

class RtnlSocket {
  public:
    RtnlSocket();
    ~RtnlSocket();
    RtnlSocket(const RtnlSocket&) = delete;
    RtnlSocket& operator=(const RtnlSocket&) = delete;

    /// Builds a request with `build` (header type/flags already set, NLM_F_ACK added), sends it
    /// and waits for the ack. Returns 0 or a negative errno.
    uint32_t portId() const { return mnl_socket_get_portid(nl_); }
    int request(uint16_t type, uint16_t flags, const std::function<void(nlmsghdr*)>& build);
    /// A dump of `type`; `build` adds the family header; `each` sees every reply message.
    void dump(uint16_t type, const std::function<void(nlmsghdr*)>& build,
              const std::function<void(const nlmsghdr*)>& each);

  private:
    mnl_socket* nl_ = nullptr;
    uint32_t seq_;
    std::string buf_;
};

/// "reason" for a negative errno.
std::string errnoText(int negErrno);

}  // namespace weft::kernel::rtnl

namespace weft::kernel::rtnl {

/// Calls `f` for every attribute after a fixed header of `offset` bytes (libmnl's own
/// iteration macros do not compile as C++).
template <typename F>
void forEachAttr(const nlmsghdr* nlh, size_t offset, F f) {
    auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, offset));
    auto* end = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    for (; mnl_attr_ok(a, int(end - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
        f(a);
}

/// Calls `f` for every attribute nested in `nest`.
template <typename F>
void forEachNested(const nlattr* nest, F f) {
    auto* a = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
    auto* end = reinterpret_cast<const char*>(nest) + nest->nla_len;
    for (; mnl_attr_ok(a, int(end - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
        f(a);
}

}  // namespace weft::kernel::rtnl
