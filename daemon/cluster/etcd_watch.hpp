// A prefix watch that survives reconnects and compaction without losing or repeating a change.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backoff.hpp"
#include "curl_multi_loop.hpp"
#include "etcd_types.hpp"
#include "event_loop.hpp"

namespace weft::cluster {

class EtcdClient;

/// What the watch hands its owner.
struct WatchBatch {
    enum class Kind {
        Initial,  ///< the first list: a Put for every key (possibly none)
        Resync,   ///< after a compaction: the difference between the last list and now
        Changes,  ///< events from the stream, in revision order
    };
    Kind kind = Kind::Changes;
    std::vector<WatchEvent> events;
    int64_t revision = 0;  ///< everything up to this revision has now been delivered
};

/// Watches every key under `prefix`:
/// 1. lists the prefix (a range, which also gives the store revision R) and delivers it;
/// 2. opens a watch stream from R+1;
/// 3. when the stream breaks (etcd killed, endpoint lost, TLS error) it reopens it, on the next
///    endpoint after a back-off, from the last revision delivered + 1, and drops any event at
///    or below that revision, so nothing is lost or seen twice;
/// 4. when etcd answers that the start revision was compacted, it lists again and delivers
///    the difference against what it delivered before (Puts for new or changed keys, Deletes
///    for vanished ones), then watches from the new list's revision + 1.
/// The callback may destroy the watch. Destroying it stops the stream; it borrows the client,
/// which must outlive it.
class EtcdWatch {
  public:
    using Callback = std::function<void(const WatchBatch&)>;

    EtcdWatch(EtcdClient& client, std::string prefix, Callback callback);
    ~EtcdWatch();
    EtcdWatch(const EtcdWatch&) = delete;
    EtcdWatch& operator=(const EtcdWatch&) = delete;

    const std::string& prefix() const { return prefix_; }
    /// The last revision delivered (0 before the first list).
    int64_t revision() const { return revision_; }
    /// The keys as delivered so far: what the owner should now hold.
    const std::map<std::string, KeyValue>& keys() const { return known_; }
    /// True while a stream is open and etcd confirmed it.
    bool streaming() const { return streamCreated_; }
    unsigned relists() const { return relists_; }        ///< lists after a compaction
    unsigned reconnects() const { return reconnects_; }  ///< streams reopened after a failure
    /// Failed lists and streams since the last success (each retried after a back-off).
    size_t failuresInRow() const { return failures_; }

  private:
    void list();
    void onListed(const RangeResult& r);
    void openStream();
    void stopStream();
    void onStreamData(std::string& received);
    bool onStreamLine(const std::string& line);  // false: stop reading this stream
    void onStreamDone(const EtcdStatus& status);
    void failed(const EtcdStatus& status, bool streamFailed);
    bool deliver(WatchBatch batch);  // false when the callback destroyed us

    EtcdClient& client_;
    std::string prefix_;
    std::string rangeEnd_;
    Callback callback_;
    Backoff backoff_;
    std::map<std::string, KeyValue> known_;
    int64_t revision_ = 0;
    bool listed_ = false;  // the first list was delivered
    std::optional<CurlMultiLoop::Id> stream_;
    size_t streamEndpoint_ = 0;
    bool streamCreated_ = false;
    std::optional<EventLoop::Id> retry_;
    size_t failures_ = 0;  // in a row, to tell "this endpoint" from "every endpoint"
    unsigned relists_ = 0;
    unsigned reconnects_ = 0;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // callbacks check it
};

}  // namespace weft::cluster
