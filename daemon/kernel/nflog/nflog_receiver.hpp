// Packets logged by nftables `log group N` statements, received on one nflog netlink socket
// and handed, decoded, to the subscribers of each group on the event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "event_loop.hpp"
#include "weft/logged_packet.hpp"

namespace weft::kernel {

class NflogReceiver {
  public:
    using Id = uint64_t;
    using Handler = std::function<void(const LoggedPacket&)>;

    /// `queueLimit`: packets held for delivery at most; beyond it the oldest are dropped.
    explicit NflogReceiver(EventLoop& loop, size_t queueLimit = 4096);
    ~NflogReceiver();
    NflogReceiver(const NflogReceiver&) = delete;
    NflogReceiver& operator=(const NflogReceiver&) = delete;

    /// Binds `group` for its first subscriber (opening the socket on first use) and calls `fn`
    /// on the loop for each packet logged to it. Never blocks the loop: the socket is read when
    /// readable and delivery runs in bounded batches. Throws std::runtime_error when the group
    /// cannot be bound (e.g. another process listens on it).
    Id subscribe(uint16_t group, Handler fn);
    /// Unbinds the group after its last subscriber; unknown ids are ignored. Packets already
    /// queued for this subscriber are not delivered.
    void unsubscribe(Id id);
    /// Packets dropped so far: queue overflow here, plus what the kernel reported lost (ENOBUFS).
    uint64_t dropped() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace weft::kernel
