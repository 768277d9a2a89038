#include "etcd_watch.hpp"

#include <algorithm>

#include "etcd_client.hpp"
#include "etcd_codec.hpp"
#include "etcd_request.hpp"

namespace weft::cluster {

EtcdWatch::EtcdWatch(EtcdClient& client, std::string prefix, Callback callback)
    : client_(client),
      prefix_(std::move(prefix)),
      rangeEnd_(prefixRangeEnd(prefix_)),
      callback_(std::move(callback)),
      backoff_(client.makeBackoff()) {
    list();
}

EtcdWatch::~EtcdWatch() {
    stopStream();
    if (retry_)
        client_.loop().cancel(*retry_);
}

bool EtcdWatch::deliver(WatchBatch batch) {
    std::weak_ptr<int> alive = alive_;
    callback_(batch);
    return !alive.expired();
}

void EtcdWatch::list() {
    std::weak_ptr<int> alive = alive_;
    client_.get(prefix_, true, 0, [this, alive](const EtcdStatus& status, RangeResult r) {
        if (alive.expired())
            return;
        if (!status.ok())
            return failed(status, false);
        onListed(r);
    });
}

void EtcdWatch::onListed(const RangeResult& r) {
    std::map<std::string, KeyValue> now;
    for (const KeyValue& kv : r.kvs)
        now[kv.key] = kv;
    WatchBatch batch;
    batch.kind = listed_ ? WatchBatch::Kind::Resync : WatchBatch::Kind::Initial;
    batch.revision = r.revision;
    for (const auto& [key, kv] : now) {
        auto it = known_.find(key);
        if (it == known_.end() || it->second.modRevision != kv.modRevision)
            batch.events.push_back({WatchEvent::Type::Put, key, kv.value, kv.modRevision});
    }
    for (const auto& [key, kv] : known_)
        if (!now.count(key))
            batch.events.push_back({WatchEvent::Type::Delete, key, {}, 0});
    known_ = std::move(now);
    revision_ = r.revision;
    bool first = !listed_;
    listed_ = true;
    if ((first || !batch.events.empty()) && !deliver(std::move(batch)))
        return;
    openStream();
}

void EtcdWatch::openStream() {
    stopStream();
    streamEndpoint_ = client_.preferredEndpoint();
    const auto& opts = client_.options();
    CurlMultiLoop::Handlers h;
    h.onData = [this](std::string& received) { onStreamData(received); };
    h.onDone = [this](CURLcode code, const std::string& error, long http, std::string& rest) {
        stream_.reset();
        EtcdStatus s = classifyResult(code, error, http, rest);
        if (s.ok())  // etcd closed a stream it should have kept open (e.g. shutting down)
            s = EtcdStatus::transport("watch stream ended");
        onStreamDone(s);
    };
    stream_ = client_.curl().start(makeEtcdEasy(opts, opts.endpoints[streamEndpoint_] + "/v3/watch",
                                                watchCreateBody(prefix_, rangeEnd_, revision_ + 1),
                                                std::chrono::milliseconds(0)),
                                   jsonHeaders(), std::move(h));
}

void EtcdWatch::stopStream() {
    if (stream_)
        client_.curl().stop(*stream_);
    stream_.reset();
    streamCreated_ = false;
}

void EtcdWatch::onStreamData(std::string& received) {
    size_t start = 0;
    for (size_t nl; (nl = received.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string line = received.substr(start, nl - start);
        if (line.find_first_not_of(" \r\t") == std::string::npos)
            continue;
        if (!onStreamLine(line))
            return;  // the stream (and maybe the watch) is gone: leave its buffer alone
    }
    received.erase(0, start);
}

bool EtcdWatch::onStreamLine(const std::string& line) {
    if (auto err = parseErrorBody(line)) {
        stopStream();
        failed(*err, true);
        return false;
    }
    WatchResponse w;
    try {
        w = parseWatchLine(line);
    } catch (const EtcdProtocolError& e) {
        stopStream();
        failed(EtcdStatus::protocol(std::string("watch stream: ") + e.what()), true);
        return false;
    }
    if (w.compactRevision > 0) {
        // Our start revision is gone: list again and hand over the difference.
        stopStream();
        client_.endpointWorked(streamEndpoint_);
        ++relists_;
        list();
        return false;
    }
    if (w.canceled) {
        stopStream();
        failed(EtcdStatus::server("watch canceled: " + w.cancelReason, 0), true);
        return false;
    }
    if (w.created) {
        streamCreated_ = true;
        failures_ = 0;
        backoff_.reset();
        client_.endpointWorked(streamEndpoint_);
    }
    if (w.events.empty()) {
        // A progress notification: every change up to header.revision has been sent.
        if (!w.created)
            revision_ = std::max(revision_, w.revision);
        return true;
    }
    WatchBatch batch;
    for (WatchEvent& ev : w.events) {
        if (ev.modRevision <= revision_)
            continue;  // already delivered before a reconnect
        if (ev.type == WatchEvent::Type::Put)
            known_[ev.key] = KeyValue{ev.key, ev.value, 0, ev.modRevision, 0, 0};
        else
            known_.erase(ev.key);
        batch.events.push_back(std::move(ev));
    }
    for (const WatchEvent& ev : batch.events)
        revision_ = std::max(revision_, ev.modRevision);
    batch.revision = revision_;
    if (batch.events.empty())
        return true;
    return deliver(std::move(batch)) && stream_.has_value();
}

void EtcdWatch::onStreamDone(const EtcdStatus& status) {
    streamCreated_ = false;
    failed(status, true);
}

void EtcdWatch::failed(const EtcdStatus& status, bool streamFailed) {
    ++failures_;
    // A list's failure was already counted against its endpoints by the client's failover.
    if (streamFailed)
        client_.endpointFailed(streamEndpoint_, status,
                               failures_ >= client_.options().endpoints.size());
    if (retry_)
        client_.loop().cancel(*retry_);
    retry_ = client_.loop().addTimer(backoff_.next(), false, [this] {
        retry_.reset();
        if (!listed_)
            return list();
        ++reconnects_;
        openStream();
    });
}

}  // namespace weft::cluster
