#include "kernel/conntrack/flow_match.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <optional>

namespace weft::kernel::conntrack {

namespace {

std::optional<Family> familyOf(const nf_conntrack* flow) {
    if (!nfct_attr_is_set(flow, ATTR_ORIG_L3PROTO))
        return std::nullopt;
    switch (nfct_get_attr_u8(flow, ATTR_ORIG_L3PROTO)) {
        case AF_INET:
            return Family::V4;
        case AF_INET6:
            return Family::V6;
        default:
            return std::nullopt;
    }
}

bool addressWithin(const nf_conntrack* flow, Family family, bool source, const Prefix& prefix) {
    nf_conntrack_attr attr = family == Family::V4
                                 ? (source ? ATTR_ORIG_IPV4_SRC : ATTR_ORIG_IPV4_DST)
                                 : (source ? ATTR_ORIG_IPV6_SRC : ATTR_ORIG_IPV6_DST);
    if (!nfct_attr_is_set(flow, attr))
        return false;
    auto* bytes = static_cast<const uint8_t*>(nfct_get_attr(flow, attr));
    return prefix.contains(Address::fromBytes(family, bytes));
}

// Protocols whose tuple carries real ports (GRE's keys travel in the same attributes).
bool hasPorts(uint8_t protocol) {
    switch (protocol) {
        case IPPROTO_TCP:
        case IPPROTO_UDP:
        case IPPROTO_UDPLITE:
        case IPPROTO_SCTP:
        case IPPROTO_DCCP:
            return true;
        default:
            return false;
    }
}

}  // namespace

uint8_t addressFamily(Family family) {
    return family == Family::V4 ? AF_INET : AF_INET6;
}

DumpFilter dumpFilterFor(const FlowFilter& filter) {
    DumpFilter d;
    if (filter.family)
        d.family = addressFamily(*filter.family);
    else if (filter.source)
        d.family = addressFamily(filter.source->family());
    else if (filter.destination)
        d.family = addressFamily(filter.destination->family());
    d.mark = filter.ctMark;
    return d;
}

uint32_t flowMark(const nf_conntrack* flow) {
    return nfct_attr_is_set(flow, ATTR_MARK) ? nfct_get_attr_u32(flow, ATTR_MARK) : 0;
}

bool flowMatches(const FlowFilter& filter, const nf_conntrack* flow) {
    auto family = familyOf(flow);
    if (!family || !nfct_attr_is_set(flow, ATTR_ORIG_L4PROTO))
        return false;  // not a flow weft can name (nor delete by its tuple)
    if (filter.family && *filter.family != *family)
        return false;
    if (filter.source && !addressWithin(flow, *family, true, *filter.source))
        return false;
    if (filter.destination && !addressWithin(flow, *family, false, *filter.destination))
        return false;
    uint8_t protocol = nfct_get_attr_u8(flow, ATTR_ORIG_L4PROTO);
    if (filter.protocol && *filter.protocol != protocol)
        return false;
    if (filter.destinationPort) {
        if (!hasPorts(protocol) || !nfct_attr_is_set(flow, ATTR_ORIG_PORT_DST))
            return false;
        uint16_t port = ntohs(nfct_get_attr_u16(flow, ATTR_ORIG_PORT_DST));
        if (port < filter.destinationPort->first || port > filter.destinationPort->last)
            return false;
    }
    if (filter.ctMark && (flowMark(flow) & filter.ctMark->mask) != filter.ctMark->value)
        return false;
    return true;
}

FlowTuple flowTuple(const nf_conntrack* flow) {
    FlowTuple t;
    auto family = familyOf(flow);
    t.family = family.value_or(Family::V4);
    if (family) {
        bool v4 = *family == Family::V4;
        auto at = [&](nf_conntrack_attr attr) {
            return nfct_attr_is_set(flow, attr)
                       ? Address::fromBytes(*family,
                                            static_cast<const uint8_t*>(nfct_get_attr(flow, attr)))
                       : Address{};
        };
        t.source = at(v4 ? ATTR_ORIG_IPV4_SRC : ATTR_ORIG_IPV6_SRC);
        t.destination = at(v4 ? ATTR_ORIG_IPV4_DST : ATTR_ORIG_IPV6_DST);
    }
    if (nfct_attr_is_set(flow, ATTR_ORIG_L4PROTO))
        t.protocol = nfct_get_attr_u8(flow, ATTR_ORIG_L4PROTO);
    if (hasPorts(t.protocol)) {
        if (nfct_attr_is_set(flow, ATTR_ORIG_PORT_SRC))
            t.sourcePort = ntohs(nfct_get_attr_u16(flow, ATTR_ORIG_PORT_SRC));
        if (nfct_attr_is_set(flow, ATTR_ORIG_PORT_DST))
            t.destinationPort = ntohs(nfct_get_attr_u16(flow, ATTR_ORIG_PORT_DST));
    }
    t.ctMark = flowMark(flow);
    return t;
}

}  // namespace weft::kernel::conntrack
