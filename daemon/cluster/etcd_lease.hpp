// Keeping this node's lease alive, so its records live exactly as long as the node does.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "backoff.hpp"
#include "event_loop.hpp"

namespace weft::cluster {

class EtcdClient;

/// Grants a lease of `ttl`, renews it every ttl/3, and when etcd says it is gone (it expired
/// while the store was out of reach, or someone revoked it) grants a new one. `onLease` runs
/// each time a lease comes into force — the first and every replacement — so the owner can
/// (re)write its records under the new id. Failed calls are retried with the client's
/// back-off. Destroying the keeper stops renewing (the lease then expires on its own, as after
/// a crash); revoke() ends it at once. Borrows the client, which must outlive it.
class LeaseKeeper {
  public:
    using LeaseCallback = std::function<void(int64_t id)>;

    LeaseKeeper(EtcdClient& client, std::chrono::seconds ttl, LeaseCallback onLease);
    ~LeaseKeeper();
    LeaseKeeper(const LeaseKeeper&) = delete;
    LeaseKeeper& operator=(const LeaseKeeper&) = delete;

    /// The lease in force, 0 while there is none.
    int64_t id() const { return id_; }
    /// Revokes the lease (its keys go now) and stops; `done(ok)` when etcd answered.
    void revoke(std::function<void(bool ok)> done);

  private:
    void grant();
    void renew();
    void schedule(std::chrono::milliseconds delay, void (LeaseKeeper::*step)());

    EtcdClient& client_;
    std::chrono::seconds ttl_;
    LeaseCallback onLease_;
    Backoff backoff_;
    int64_t id_ = 0;
    bool stopped_ = false;
    std::optional<EventLoop::Id> timer_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // answers check it
};

}  // namespace weft::cluster
