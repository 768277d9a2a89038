// Decoding one nflog netlink message (NFULNL_MSG_PACKET) into a LoggedPacket. Pure apart from
// the interface-name lookup, which the caller passes in, so tests run it on crafted buffers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "weft/logged_packet.hpp"

namespace weft::kernel {

/// Interface index -> name ("" when unknown).
using InterfaceNamer = std::function<std::string(uint32_t index)>;

/// The name of an interface of the caller's network namespace (if_indextoname), "" if none.
std::string interfaceName(uint32_t index);

struct NflogRecord {
    LoggedPacket packet;
    /// The group's own sequence number (NFULNL_CFG_F_SEQ), when the kernel sent one: gaps in
    /// it are packets the kernel could not deliver.
    std::optional<uint32_t> sequence;
};

/// Decodes one netlink message (header included; `message` may be longer than it). nullopt for
/// another message type, a malformed or truncated message, or a payload that is not an IP
/// packet with a complete IP header. `now` is the time used when the kernel sent none.
std::optional<NflogRecord> decodeNflogMessage(std::span<const uint8_t> message,
                                              std::chrono::system_clock::time_point now,
                                              const InterfaceNamer& names);

}  // namespace weft::kernel
