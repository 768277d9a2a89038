// weave-policy: the latest denied connections, from the nflog group the deny rules log to.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "weft/logged_packet.hpp"

namespace weft::weave {

class DropLog {
  public:
    explicit DropLog(size_t capacity = 256) : capacity_(capacity) {}
    /// Records a logged packet, naming its pods as `evaluator` knows them now (a pod may be
    /// gone by the time someone asks).
    void record(const LoggedPacket& packet, const Evaluator& evaluator);
    /// The latest `limit` denials, newest first: time, direction, source, sourcePod,
    /// destination, destinationPod, protocol, port, interfaces.
    std::vector<std::map<std::string, std::string>> latest(size_t limit) const;
    uint64_t total() const { return total_; }

  private:
    size_t capacity_;
    uint64_t total_ = 0;
    std::deque<std::map<std::string, std::string>> rows_;
};

}  // namespace weft::weave
