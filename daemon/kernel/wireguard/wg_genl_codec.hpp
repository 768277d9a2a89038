// WireGuard's generic netlink messages (linux/wireguard.h) as bytes: WG_CMD_SET_DEVICE requests
// built from a DeviceChange and split under a size budget, and WG_CMD_GET_DEVICE dump replies
// folded back into a DeviceState. Pure functions, no sockets: the layout is unit-tested on a
// machine without the wireguard module.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wg_device.hpp"

namespace weft::kernel::wg::genl {

/// Bytes per request unless told otherwise: a page, the budget wireguard-tools uses.
inline constexpr size_t kDefaultMessageLimit = 4096;
/// The smallest budget accepted: one peer with every attribute and one IPv6 allowed IP must fit
/// beside the device attributes, or splitting could not make progress.
inline constexpr size_t kMinMessageLimit = 512;
/// The largest: an attribute's length is 16 bits, and the peer list is one attribute.
inline constexpr size_t kMaxMessageLimit = 65535;

/// One WG_CMD_SET_DEVICE request, and what it carries, so a failure can name its peer.
struct SetMessage {
    std::vector<uint8_t> bytes;      ///< nlmsghdr + genlmsghdr + attributes, nlmsg_len long
    bool deviceFields = false;       ///< carries the private key, port, fwmark or device flags
    std::vector<std::string> peers;  ///< base64 public keys of the peers (or parts) it carries
};

/// Encodes `change` for interface `ifname` as WG_CMD_SET_DEVICE requests (NLM_F_REQUEST |
/// NLM_F_ACK, numbered `seq`, `seq + 1`, ...) of at most `limit` bytes each. Removals come
/// first, then added or updated peers. Splitting follows linux/wireguard.h: only the first
/// message has the device attributes and flags; a later one has the name and more peers; a peer
/// whose allowed IPs overflow is continued in the next message with only its public key and the
/// rest of its allowed IPs (no flags, so REPLACE_ALLOWEDIPS is not repeated). An empty change is
/// no message. Throws std::invalid_argument for a bad key, name or limit.
std::vector<SetMessage> encodeSetDevice(const std::string& ifname, const DeviceChange& change,
                                        uint16_t familyId, uint32_t seq,
                                        size_t limit = kDefaultMessageLimit);

/// The WG_CMD_GET_DEVICE request for `ifname` (NLM_F_REQUEST | NLM_F_DUMP).
std::vector<uint8_t> encodeGetDevice(const std::string& ifname, uint16_t familyId, uint32_t seq);

/// Where a dump stands after one received buffer.
struct DumpProgress {
    bool done = false;         ///< NLMSG_DONE seen (with error code 0)
    bool interrupted = false;  ///< the device changed during the dump (NLM_F_DUMP_INTR): redo it
};

/// Folds the netlink messages in one received buffer of a GET_DEVICE dump into `into`.
/// Messages of another family or sequence number are skipped. A peer repeated from the end of
/// the previous message (same public key) is coalesced: its allowed IPs are appended. Throws
/// std::system_error with the kernel's errno for NLMSG_ERROR or a failed NLMSG_DONE, and
/// std::runtime_error for a malformed message.
DumpProgress decodeGetDump(const uint8_t* data, size_t len, uint16_t familyId, uint32_t seq,
                           DeviceState& into);

}  // namespace weft::kernel::wg::genl
