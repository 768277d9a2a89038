#include "nl_addr.hpp"

#include <sys/socket.h>

#include <new>

namespace weft::kernel::rtnl {

int afOf(Family f) {
    return f == Family::V4 ? AF_INET : AF_INET6;
}

std::optional<Family> familyOf(int af) {
    if (af == AF_INET)
        return Family::V4;
    if (af == AF_INET6)
        return Family::V6;
    return std::nullopt;
}

NlAddrPtr toNl(const Address& a, unsigned length) {
    NlAddrPtr p(nl_addr_build(afOf(a.family), a.bytes.data(), a.size()));
    if (!p)
        throw std::bad_alloc();
    nl_addr_set_prefixlen(p.get(), int(length));
    return p;
}

std::optional<Address> fromNl(const nl_addr* a) {
    if (!a)
        return std::nullopt;
    auto fam = familyOf(nl_addr_get_family(a));
    if (!fam)
        return std::nullopt;
    Address out;
    out.family = *fam;
    if (nl_addr_get_len(a) == 0)
        return out;  // "default": libnl keeps no bytes
    if (nl_addr_get_len(a) != out.size())
        return std::nullopt;
    return Address::fromBytes(*fam, static_cast<const uint8_t*>(nl_addr_get_binary_addr(a)));
}

}  // namespace weft::kernel::rtnl
