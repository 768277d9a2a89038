// Reading addresses, protocol and ports out of the first bytes of an IP packet, as nflog copies
// them. A pure function on a byte buffer: it never reads past `size`, whatever the bytes say.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "weft/prefix.hpp"

namespace weft::kernel {

struct IpHeaders {
    Family family = Family::V4;
    Address source, destination;
    /// The transport protocol (IPPROTO_*): for IPv6 the header after the extension headers,
    /// or the last one that could be read when the copy ends inside them.
    uint8_t protocol = 0;
    /// TCP, UDP and SCTP only, and only in a first fragment whose copy holds them.
    std::optional<uint16_t> sourcePort, destinationPort;
};

/// Decodes an IPv4 or IPv6 packet starting at `data`. `expected` (when known from the netlink
/// header) must match the packet's version. nullopt when the fixed IP header is incomplete or
/// malformed; a packet cut short after it still yields its addresses.
std::optional<IpHeaders> decodeIpPacket(const uint8_t* data, size_t size,
                                        std::optional<Family> expected = std::nullopt);

}  // namespace weft::kernel
