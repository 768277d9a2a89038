// An nf_tables netlink socket: batches with per-message error mapping, and dumps.
#pragma once

#include <libmnl/libmnl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nft_batch_stats.hpp"

namespace weft::kernel::nft {

/// One message of a batch: a builder writing into the buffer, and what it is for messages.
struct BatchMessage {
    std::string what;  ///< "table inet weft_x", "set inet weft_x dst4 elements 3"
    std::function<void(nlmsghdr*)> build;
    uint16_t type = 0;  ///< NFT_MSG_*
    uint16_t family = 0;
    uint16_t flags = 0;    ///< NLM_F_CREATE etc. (NLM_F_REQUEST|NLM_F_ACK are added)
    unsigned objects = 1;  ///< objects it changes (ApplyResult::changes): elements for element
                           ///< messages, 0 for re-owning an adopted table
    size_t elements = 0;   ///< set elements it carries
};

class NftSocket {
  public:
    NftSocket();
    ~NftSocket();
    NftSocket(const NftSocket&) = delete;
    NftSocket& operator=(const NftSocket&) = delete;

    uint32_t portId() const;
    /// Sends all messages in one transaction. Returns one error per failed message
    /// ("what: reason"); the kernel rolls back the whole batch when any fails.
    std::vector<std::string> sendBatch(const std::vector<BatchMessage>& messages);
    /// Runs a dump request built by `build` and calls `onMessage` for every reply message.
    void dump(uint16_t type, uint16_t family, const std::function<void(nlmsghdr*)>& build,
              const std::function<void(const nlmsghdr*)>& onMessage);

    /// What the last batch sent (for tests and benchmarks).
    const BatchStats& lastBatch() const { return last_; }

  private:
    /// Dump replies and acks are read into one buffer kept by the socket (dumps do not nest:
    /// callbacks only parse).
    static constexpr size_t kReceiveBuffer = 1 << 20;
    char* receiveBuffer();
    void skipRestOfDump(char* buf, uint32_t seq, ssize_t n);
    mnl_socket* nl_ = nullptr;
    std::unique_ptr<char[]> rbuf_;
    uint32_t seq_;
    BatchStats last_;
};

}  // namespace weft::kernel::nft
