#include "record_writer.hpp"

#include "etcd_client.hpp"
#include "log.hpp"

namespace weft::cluster {

RecordWriter::RecordWriter(EventLoop& loop) : loop_(loop) {}

RecordWriter::~RecordWriter() {
    if (retry_)
        loop_.cancel(*retry_);
}

void RecordWriter::attach(EtcdClient* client) {
    ++generation_;
    client_ = client;
    lease_ = 0;
    written_.clear();
    uncertain_.clear();
    inFlight_.clear();
    failed_.clear();
    if (retry_)
        loop_.cancel(*retry_);
    retry_.reset();
    backoff_.reset();
    if (!client_)
        return;
    backoff_.emplace(client_->makeBackoff());
    for (auto& [key, w] : wanted_)
        sync(key);
}

void RecordWriter::setLease(int64_t id) {
    lease_ = id;
    for (auto& [key, w] : wanted_) {
        if (!w.underLease)
            continue;
        if (id)
            failed_.erase(key);  // it likely failed for want of this lease: no need to wait
        sync(key);
    }
}

void RecordWriter::retryNow() {
    if (retry_)
        loop_.cancel(*retry_);
    retry_.reset();
    if (backoff_)
        backoff_->reset();
    auto keys = std::move(failed_);
    failed_.clear();
    for (auto& k : keys)
        sync(k);
}

void RecordWriter::put(const std::string& key, const std::string& value, bool underLease) {
    auto it = wanted_.find(key);
    if (it != wanted_.end() && it->second.value == value && it->second.underLease == underLease)
        return;
    wanted_[key] = Wanted{value, underLease};
    sync(key);
}

void RecordWriter::remove(const std::string& key) {
    wanted_.erase(key);
    // The key may be another node's (weave-policy deletes objects cluster-wide) or written by
    // an earlier weftd: the store is asked to delete it whatever we know of it.
    if (!written_.count(key))
        uncertain_.insert(key);
    sync(key);
}

size_t RecordWriter::pending() const {
    size_t n = 0;
    for (auto& [key, w] : wanted_) {
        auto it = written_.find(key);
        n += it == written_.end() || it->second.value != w.value ||
             (w.underLease && it->second.lease != lease_) || (!w.underLease && it->second.lease);
    }
    for (auto& [key, w] : written_)
        n += !wanted_.count(key);
    for (auto& key : uncertain_)
        n += !wanted_.count(key) && !written_.count(key);
    return n;
}

// One request per key at a time: when it answers, the key is looked at again, so the last
// wish wins whatever happened meanwhile.
void RecordWriter::sync(const std::string& key) {
    if (!client_ || inFlight_.count(key) || failed_.count(key))
        return;
    std::weak_ptr<int> alive = alive_;
    uint64_t gen = generation_;
    auto answer = [this, alive, gen, key](const EtcdStatus& s, auto&& onOk) {
        if (alive.expired() || gen != generation_)
            return;
        inFlight_.erase(key);
        if (s.ok()) {
            onOk();
            if (backoff_)
                backoff_->reset();
            sync(key);
            return;
        }
        // The write may have landed before the answer was lost: a later delete must be sent.
        uncertain_.insert(key);
        written_.erase(key);
        if (s.kind != EtcdStatus::Kind::Transport)  // transport: the client logs the outage
            logMessage(LogLevel::Warning, {},
                       "cluster store: writing " + key + " failed: " + s.message);
        failed_.insert(key);
        armRetry();
    };
    auto w = wanted_.find(key);
    if (w != wanted_.end()) {
        if (w->second.underLease && lease_ == 0)
            return;  // setLease() writes it
        int64_t lease = w->second.underLease ? lease_ : 0;
        auto it = written_.find(key);
        if (it != written_.end() && it->second.value == w->second.value &&
            it->second.lease == lease)
            return;
        inFlight_.insert(key);
        std::string value = w->second.value;
        client_->put(key, value, lease,
                     [this, answer, key, value, lease](const EtcdStatus& s, int64_t) {
                         answer(s, [&] {
                             written_[key] = Written{value, lease};
                             uncertain_.erase(key);
                         });
                     });
        return;
    }
    if (!written_.count(key) && !uncertain_.count(key))
        return;  // deleted (or never there): nothing to send
    inFlight_.insert(key);
    client_->remove(key, false, [this, answer, key](const EtcdStatus& s, int64_t) {
        answer(s, [&] {
            written_.erase(key);
            uncertain_.erase(key);
        });
    });
}

void RecordWriter::armRetry() {
    if (retry_ || !backoff_)
        return;
    retry_ = loop_.addTimer(backoff_->next(), false, [this] {
        retry_.reset();
        auto keys = std::move(failed_);
        failed_.clear();
        for (auto& k : keys)
            sync(k);
    });
}

}  // namespace weft::cluster
