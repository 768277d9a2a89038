// weft addresses <-> libnl's nl_addr.
#pragma once

#include <netlink/addr.h>

#include <memory>
#include <optional>

#include "weft/prefix.hpp"

namespace weft::kernel::rtnl {

struct NlAddrPut {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrPut>;

int afOf(Family f);
std::optional<Family> familyOf(int af);

/// An nl_addr holding `a` with prefix length `length`.
NlAddrPtr toNl(const Address& a, unsigned length);
inline NlAddrPtr toNl(const Prefix& p) {
    return toNl(p.address, p.length);
}
/// The address inside `a`, or nullopt if it is not IPv4/IPv6 of the right size.
std::optional<Address> fromNl(const nl_addr* a);

}  // namespace weft::kernel::rtnl
