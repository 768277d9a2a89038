// A ctnetlink socket: libmnl carries the messages, libnetfilter-conntrack builds and parses
// them. Dumps are filtered by the kernel where it can; deletions go many messages per
// sendmsg, so tens of thousands of flows take milliseconds, not seconds.
#pragma once

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/config.hpp"

namespace weft::kernel::conntrack {

struct CtFree {
    void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
/// One flow as libnetfilter-conntrack holds it.
using CtPtr = std::unique_ptr<nf_conntrack, CtFree>;

/// What the kernel itself filters a dump by, before sending a flow.
struct DumpFilter {
    uint8_t family = AF_UNSPEC;  ///< AF_INET, AF_INET6, or AF_UNSPEC for both
    std::optional<Mark> mark;    ///< only flows with ct mark & mask == value
};

/// Owns one NETLINK_NETFILTER socket (close-on-exec). Not thread-safe. After a method threw,
/// replies may be left in the socket: the owner should discard it and open a new one.
class CtSocket {
  public:
    /// Opens and binds the socket. Throws std::runtime_error.
    CtSocket();
    ~CtSocket();
    CtSocket(const CtSocket&) = delete;
    CtSocket& operator=(const CtSocket&) = delete;

    /// Dumps the flows `filter` lets through; `each` receives every one and may keep it.
    /// Throws std::runtime_error on a netlink failure.
    void dump(const DumpFilter& filter, const std::function<void(CtPtr)>& each);
    /// Deletes `flows` by their original tuple, zone and id (the kernel spares a flow whose id
    /// differs: usually a new one on a reused tuple). Returns how many the kernel deleted; ENOENT
    /// (the flow ended meanwhile) is not counted. Any other error throws std::runtime_error once
    /// every deletion has been answered.
    uint64_t destroy(const std::vector<CtPtr>& flows);

  private:
    /// The answers to the deletions sent so far.
    struct Tally {
        uint64_t deleted = 0;
        uint64_t failed = 0;
        std::string firstError;
    };
    /// Sends `count` messages (buf[0, len), sequence numbers first, first+1, ...) in one
    /// sendmsg and reads the kernel's answer to each.
    void sendBatch(const char* buf, size_t len, uint32_t first, size_t count, Tally& tally);

    mnl_socket* nl_ = nullptr;
    uint32_t portId_ = 0;
    uint32_t seq_ = 0;
    std::vector<char> rbuf_;
};

}  // namespace weft::kernel::conntrack
