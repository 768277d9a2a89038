// The kernel's extended-ack text of an NLMSG_ERROR reply ("Attribute failed policy
// validation"), shared by the nftables and the WireGuard generic netlink sockets.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <string>

namespace weft::kernel {

/// NLMSGERR_ATTR_MSG of an error reply, or "" when the kernel sent none.
inline std::string extAckMessage(const nlmsghdr* nlh) {
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
        return {};
    auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
    size_t off = sizeof(*err);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED))  // the request is echoed before the TLVs
        off += err->msg.nlmsg_len - sizeof(nlmsghdr);
    auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, off));
    auto* end = reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len;
    for (; mnl_attr_ok(a, int(end - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a)) {
        if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
            return mnl_attr_get_str(a);
    }
    return {};
}

}  // namespace weft::kernel
