// vpn-egress: which gateway owns each hash bucket.
//
// Failover by ownership, not by rehashing: when a gateway goes down only its buckets move,
// spread over the healthy gateways by weight; when one comes back it takes buckets from those
// above their share, and only as many as it is due — the fewest moves (as Maglev-style
// consistent hashing aims for, but exact). The result depends only on the sequence of
// gateway sets it was given, so two routers with the same config and events choose alike.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weft::egress {

class BucketOwners {
  public:
    explicit BucketOwners(uint32_t buckets = 256) : owner_(buckets) {}

    /// Brings ownership to the healthy gateways (name -> weight): orphaned buckets move to the
    /// gateways most below their share (ties by name). Buckets above a gateway's share move too,
    /// but only when a gateway joined or a weight changed since the last call: when one merely
    /// leaves, its buckets are all that moves (largest-remainder shares can shrink a survivor's
    /// by one; it keeps that bucket). An empty map leaves every bucket without an owner.
    /// Returns the buckets given a new owner.
    uint32_t rebalance(const std::map<std::string, uint32_t>& healthy);

    /// Each gateway's share of the buckets by weight (largest remainder, ties by name).
    static std::map<std::string, uint32_t> shares(uint32_t buckets,
                                                  const std::map<std::string, uint32_t>& weights);

    uint32_t size() const { return uint32_t(owner_.size()); }
    /// The owner of bucket `b`, "" for none.
    const std::string& owner(uint32_t b) const { return owner_.at(b); }
    const std::vector<std::string>& owners() const { return owner_; }
    /// Buckets per gateway.
    std::map<std::string, uint32_t> counts() const;
    /// Restores a saved ownership (same number of buckets) and the healthy set it was last
    /// balanced for; false if it does not fit.
    bool restore(const std::vector<std::string>& owners,
                 const std::map<std::string, uint32_t>& lastHealthy);
    /// The healthy set (name -> weight) of the last rebalance.
    const std::map<std::string, uint32_t>& lastHealthy() const { return last_; }

  private:
    std::vector<std::string> owner_;
    std::map<std::string, uint32_t> last_;
};

}  // namespace weft::egress
