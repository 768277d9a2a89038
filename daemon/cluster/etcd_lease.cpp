#include "etcd_lease.hpp"

#include <algorithm>
#include <utility>

#include "etcd_client.hpp"

namespace weft::cluster {

LeaseKeeper::LeaseKeeper(EtcdClient& client, std::chrono::seconds ttl, LeaseCallback onLease)
    : client_(client), ttl_(ttl), onLease_(std::move(onLease)), backoff_(client.makeBackoff()) {
    grant();
}

LeaseKeeper::~LeaseKeeper() {
    if (timer_)
        client_.loop().cancel(*timer_);
}

void LeaseKeeper::schedule(std::chrono::milliseconds delay, void (LeaseKeeper::*step)()) {
    if (timer_)
        client_.loop().cancel(*timer_);
    timer_ = client_.loop().addTimer(delay, false, [this, step] {
        timer_.reset();
        (this->*step)();
    });
}

void LeaseKeeper::grant() {
    std::weak_ptr<int> alive = alive_;
    client_.leaseGrant(ttl_.count(), [this, alive](const EtcdStatus& s, LeaseGrant g) {
        if (alive.expired() || stopped_)
            return;
        if (!s.ok())
            return schedule(backoff_.next(), &LeaseKeeper::grant);
        backoff_.reset();
        id_ = g.id;
        schedule(std::max<std::chrono::milliseconds>(ttl_ / 3, std::chrono::milliseconds(200)),
                 &LeaseKeeper::renew);
        onLease_(g.id);
    });
}

void LeaseKeeper::renew() {
    std::weak_ptr<int> alive = alive_;
    int64_t id = id_;
    client_.leaseKeepAlive(id, [this, alive, id](const EtcdStatus& s, int64_t ttl) {
        if (alive.expired() || stopped_ || id != id_)
            return;
        auto interval =
            std::max<std::chrono::milliseconds>(ttl_ / 3, std::chrono::milliseconds(200));
        if (!s.ok())  // keep trying, but never wait longer than a renewal period
            return schedule(std::min(backoff_.next(), interval), &LeaseKeeper::renew);
        backoff_.reset();
        if (ttl <= 0) {  // gone: our records went with it
            id_ = 0;
            return grant();
        }
        schedule(interval, &LeaseKeeper::renew);
    });
}

void LeaseKeeper::revoke(std::function<void(bool ok)> done) {
    stopped_ = true;
    if (timer_)
        client_.loop().cancel(*timer_);
    timer_.reset();
    int64_t id = std::exchange(id_, 0);
    if (id == 0)
        return done(true);
    client_.leaseRevoke(id, [done = std::move(done)](const EtcdStatus& s, bool) { done(s.ok()); });
}

}  // namespace weft::cluster
