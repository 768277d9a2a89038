// weftd's etcd v3 client: key-value and lease calls over the JSON gateway, on the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backoff.hpp"
#include "curl_multi_loop.hpp"
#include "etcd_request.hpp"
#include "etcd_types.hpp"
#include "event_loop.hpp"

namespace weft::cluster {

struct EtcdClientOptions : EtcdTransportOptions {
    /// "https://host:2379" (or http://); tried in order, starting with the last one that
    /// worked.
    std::vector<std::string> endpoints;
    /// Retries of the watch and lease keeper: this doubled per failure up to backoffMax,
    /// jittered (see Backoff).
    std::chrono::milliseconds backoffInitial{100};
    std::chrono::milliseconds backoffMax{5000};
};

enum class ConnectionState { Connecting, Connected, Disconnected };
const char* connectionStateName(ConnectionState s);

/// Every call returns at once and answers through its callback on the loop. A unary call tries
/// each endpoint at most once, from the preferred one on, while the failure is a transport one
/// (connect, TLS, timeout, etcd unavailable); the preferred endpoint moves past one that failed.
/// Retrying a failed call later is the caller's choice (the watch and the lease keeper do, with
/// back-off). Destroying the client drops every pending callback; it borrows the EventLoop,
/// which must outlive it.
class EtcdClient {
  public:
    using StateCallback = std::function<void(ConnectionState, const std::string& reason)>;
    template <class T>
    using Done = std::function<void(const EtcdStatus&, T)>;

    EtcdClient(EventLoop& loop, EtcdClientOptions options);
    ~EtcdClient();
    EtcdClient(const EtcdClient&) = delete;
    EtcdClient& operator=(const EtcdClient&) = delete;

    /// Writes `key`; with `lease` != 0 the key goes when the lease does. Answers the revision.
    void put(const std::string& key, const std::string& value, int64_t lease, Done<int64_t> done);
    /// Deletes `key` (or every key under it when `prefix`); answers how many went.
    void remove(const std::string& key, bool prefix, Done<int64_t> done);
    /// Reads `key` (or every key under it when `prefix`) at `revision` (0 = newest).
    void get(const std::string& key, bool prefix, int64_t revision, Done<RangeResult> done);

    /// A lease of `ttlSeconds`; etcd picks the id.
    void leaseGrant(int64_t ttlSeconds, Done<LeaseGrant> done);
    /// Renews a lease once; answers its TTL in seconds, 0 when it has expired or was revoked.
    void leaseKeepAlive(int64_t id, Done<int64_t> done);
    /// Ends a lease now; its keys are deleted.
    void leaseRevoke(int64_t id, Done<bool> done);

    /// Called when the state changes: Connected after a call or watch got an answer,
    /// Disconnected (with the reason, e.g. the TLS error) once every endpoint failed.
    void setStateCallback(StateCallback cb) { stateCallback_ = std::move(cb); }
    ConnectionState state() const { return state_; }
    const std::string& stateReason() const { return stateReason_; }

    // The pieces the watch and the lease keeper build on.
    EventLoop& loop() { return loop_; }
    CurlMultiLoop& curl() { return *curl_; }
    const EtcdClientOptions& options() const { return options_; }
    size_t preferredEndpoint() const { return preferred_; }
    /// Marks endpoint `index` as failed (the preferred one moves on) and, when `allFailed`,
    /// reports Disconnected with `status`'s message.
    void endpointFailed(size_t index, const EtcdStatus& status, bool allFailed);
    /// Marks endpoint `index` as working: it becomes the preferred one; reports Connected.
    void endpointWorked(size_t index);
    /// A back-off with this client's schedule and its own jitter seed.
    Backoff makeBackoff();
    /// One unary gateway call with failover; `done` gets the last status and body.
    void call(const std::string& path, std::string body, UnaryDone done);

  private:
    struct Call;
    void attempt(std::shared_ptr<Call> c);
    void setState(ConnectionState s, const std::string& reason);

    EventLoop& loop_;
    EtcdClientOptions options_;
    std::unique_ptr<CurlMultiLoop> curl_;
    size_t preferred_ = 0;
    uint64_t seed_;
    ConnectionState state_ = ConnectionState::Connecting;
    std::string stateReason_;
    StateCallback stateCallback_;
};

}  // namespace weft::cluster
