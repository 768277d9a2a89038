// weft plugin SDK: a packet logged by an nftables `log group N` statement (nflog).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "weft/prefix.hpp"

namespace weft {

/// A logged packet, decoded by the core from the nflog group a plugin subscribed to.
struct LoggedPacket {
    uint16_t group = 0;
    std::string prefix;  ///< the rule's `log prefix`
    Family family = Family::V4;
    Address source, destination;
    uint8_t protocol = 0;                     ///< IPPROTO_*
    std::optional<uint16_t> sourcePort;       ///< TCP, UDP and SCTP only
    std::optional<uint16_t> destinationPort;  ///< TCP, UDP and SCTP only
    std::string inInterface, outInterface;    ///< empty where the hook has none
    uint32_t mark = 0;
    std::chrono::system_clock::time_point time;  ///< kernel timestamp, or arrival time
};

}  // namespace weft
