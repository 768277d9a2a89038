// The records weftd wants in the store, and the writes that make the store hold them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "backoff.hpp"
#include "event_loop.hpp"

namespace weft::cluster {

class EtcdClient;

/// Keeps a map of wanted records (full key -> value, under the node lease or not) and
/// converges the store towards it, one request per key at a time:
/// - a change is written at once; an identical re-put sends nothing;
/// - lease-bound records wait for a lease and are all written again under each new one;
/// - a failed write is retried after a back-off, and at once when the client reconnects;
/// - remove() always sends a delete (the key may be another node's), after any write of it
///   in flight.
/// The records themselves outlive the client: attach() hands them to a new one (a reload that
/// changed [Cluster]), which writes them all.
class RecordWriter {
  public:
    explicit RecordWriter(EventLoop& loop);
    ~RecordWriter();
    RecordWriter(const RecordWriter&) = delete;
    RecordWriter& operator=(const RecordWriter&) = delete;

    /// Starts writing through `client` (nullptr: stop writing; the wishes are kept). Forgets
    /// what the previous client wrote.
    void attach(EtcdClient* client);
    /// The lease lease-bound records go under (0: none yet; they wait).
    void setLease(int64_t id);
    /// Retries every failed write now (the client answered again).
    void retryNow();

    void put(const std::string& key, const std::string& value, bool underLease);
    void remove(const std::string& key);

    size_t wanted() const { return wanted_.size(); }
    /// Keys not yet as wanted in the store (written, deleted), for tests and Describe.
    size_t pending() const;

    struct Wanted {
        std::string value;
        bool underLease = false;
    };
    /// Every record wanted, by full key.
    const std::map<std::string, Wanted>& wishes() const { return wanted_; }

  private:
    struct Written {
        std::string value;
        int64_t lease = 0;
    };
    void sync(const std::string& key);
    void done(const std::string& key, bool ok);
    void armRetry();

    EventLoop& loop_;
    EtcdClient* client_ = nullptr;
    uint64_t generation_ = 0;  // bumped by attach(): answers from an older client are dropped
    int64_t lease_ = 0;
    std::map<std::string, Wanted> wanted_;
    std::map<std::string, Written> written_;  // confirmed by etcd
    std::set<std::string> uncertain_;         // a write failed: it may or may not have landed
    std::set<std::string> inFlight_;
    std::set<std::string> failed_;  // waiting for the retry
    std::optional<Backoff> backoff_;
    std::optional<EventLoop::Id> retry_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace weft::cluster
