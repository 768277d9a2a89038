// The nflog netlink socket: binding and unbinding groups, and reading what the kernel logged
// without ever blocking the loop for longer than one configuration round trip.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

struct mnl_socket;

namespace weft::kernel {

class NflogSocket {
  public:
    /// `onMessage` gets every nflog packet message (one netlink message each, header included);
    /// `onOverrun` runs when the kernel reports lost messages (ENOBUFS) or one did not fit.
    NflogSocket(std::function<void(std::span<const uint8_t>)> onMessage,
                std::function<void()> onOverrun);
    ~NflogSocket();
    NflogSocket(const NflogSocket&) = delete;
    NflogSocket& operator=(const NflogSocket&) = delete;

    int fd() const;
    /// Binds `group` to this socket (copy mode packet, `copyRange` bytes, sequence numbers).
    /// Waits for the kernel's answer, passing packets that arrive meanwhile to `onMessage`.
    /// Throws std::runtime_error naming the group.
    void bind(uint16_t group, uint32_t copyRange);
    /// Unbinds `group`; throws std::runtime_error naming the group.
    void unbind(uint16_t group);
    /// Reads at most `maxDatagrams` datagrams, stopping early when nothing is left.
    void readAvailable(size_t maxDatagrams);

  private:
    /// Sends a config message and waits for its acknowledgement; returns 0 or an errno value.
    int configure(std::span<uint8_t> message);
    /// Handles one received datagram; returns the error of the ack numbered `ackSeq`, if seen.
    std::optional<int> handleDatagram(std::span<const uint8_t> data, uint32_t ackSeq);
    /// One non-blocking receive; returns bytes read, 0 when nothing is pending.
    ssize_t receive();

    mnl_socket* nl_ = nullptr;
    uint32_t seq_ = 0;
    std::vector<uint8_t> buffer_;
    std::function<void(std::span<const uint8_t>)> onMessage_;
    std::function<void()> onOverrun_;
};

}  // namespace weft::kernel
