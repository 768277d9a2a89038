#include "watch_fanout.hpp"

#include "etcd_client.hpp"
#include "log.hpp"

namespace weft::cluster {

void WatchFanout::attach(EtcdClient* client, const std::string& storePrefix) {
    client_ = client;
    storePrefix_ = storePrefix;
    for (auto& [id, w] : watches_) {
        w->etcd.reset();
        open(*w);
    }
}

WatchFanout::Id WatchFanout::add(const std::string& owner, const std::string& prefix,
                                 Callback callback) {
    Id id = ++lastId_;
    auto w = std::make_unique<Watch>();
    w->id = id;
    w->owner = owner;
    w->prefix = prefix;
    w->callback = std::move(callback);
    auto& ref = *w;
    watches_[id] = std::move(w);
    open(ref);
    return id;
}

void WatchFanout::remove(Id id) {
    watches_.erase(id);  // may run inside the watch's own callback: EtcdWatch allows it
}

void WatchFanout::open(Watch& w) {
    if (!client_)
        return;
    Id id = w.id;  // looked up on delivery: a removed watch is ignored
    w.etcd = std::make_unique<EtcdWatch>(*client_, storePrefix_ + w.owner + "/" + w.prefix,
                                         [this, id](const WatchBatch& b) { onBatch(id, b); });
}

void WatchFanout::onBatch(Id id, const WatchBatch& batch) {
    auto it = watches_.find(id);
    if (it == watches_.end())
        return;
    Watch& w = *it->second;
    size_t base = storePrefix_.size() + w.owner.size() + 1;
    auto relative = [&](const std::string& key) {
        return key.size() >= base ? key.substr(base) : key;
    };
    ClusterBatch out;
    if (batch.kind == WatchBatch::Kind::Initial) {
        std::map<std::string, std::string> now;
        for (auto& e : batch.events) {
            if (e.type == WatchEvent::Type::Put)
                now[relative(e.key)] = e.value;
        }
        if (!w.initialSent) {
            out.initial = true;
            for (auto& [k, v] : now)
                out.events.push_back({ClusterEvent::Type::Put, k, v});
        } else {  // a new connection's first list: what changed since the old one
            for (auto& [k, v] : w.shown) {
                if (!now.count(k))
                    out.events.push_back({ClusterEvent::Type::Delete, k, {}});
            }
            for (auto& [k, v] : now) {
                auto old = w.shown.find(k);
                if (old == w.shown.end() || old->second != v)
                    out.events.push_back({ClusterEvent::Type::Put, k, v});
            }
            if (out.events.empty())
                return;
        }
        w.shown = std::move(now);
        w.initialSent = true;
    } else {
        for (auto& e : batch.events) {
            std::string k = relative(e.key);
            if (e.type == WatchEvent::Type::Put) {
                w.shown[k] = e.value;
                out.events.push_back({ClusterEvent::Type::Put, k, e.value});
            } else {
                w.shown.erase(k);
                out.events.push_back({ClusterEvent::Type::Delete, k, {}});
            }
        }
        if (out.events.empty())
            return;
    }
    std::string owner = w.owner;  // the callback may remove the watch
    try {
        w.callback(out);
    } catch (const std::exception& e) {
        logMessage(LogLevel::Error, owner,
                   std::string("cluster watch callback failed: ") + e.what());
    }
}

}  // namespace weft::cluster
