// weft plugin SDK: conntrack flows, as a plugin asks the core to count or delete them.
#pragma once

#include <cstdint>
#include <optional>

#include "weft/config.hpp"
#include "weft/prefix.hpp"

namespace weft {

/// Which conntrack flows a Host call acts on. Every field that is set must match; an empty
/// filter matches every flow. Addresses and the port are those of the flow's original
/// direction (as the client sent its first packet), as `conntrack -L` prints them first.
struct FlowFilter {
    std::optional<Family> family;              ///< IPv4 or IPv6 flows only
    std::optional<Prefix> source;              ///< original source address within
    std::optional<Prefix> destination;         ///< original destination address within
    std::optional<uint8_t> protocol;           ///< IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, ...
    std::optional<PortRange> destinationPort;  ///< original destination port (TCP/UDP/SCTP)
    std::optional<Mark> ctMark;                ///< ct mark & mask == value
    bool operator==(const FlowFilter&) const = default;
};

/// One flow's original direction, as a plugin sees it when it decides which flows to cut.
struct FlowTuple {
    Family family = Family::V4;
    Address source;
    Address destination;
    uint8_t protocol = 0;
    uint16_t sourcePort = 0;       ///< 0 for protocols without ports
    uint16_t destinationPort = 0;  ///< 0 for protocols without ports
    uint32_t ctMark = 0;
    bool operator==(const FlowTuple&) const = default;
};

}  // namespace weft
