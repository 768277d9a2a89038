// The plugins' watches on the store: one EtcdWatch each, keys made relative to the plugin.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "etcd_watch.hpp"
#include "weft/cluster.hpp"

namespace weft::cluster {

class EtcdClient;

/// Each watch is "<store prefix><owner>/<prefix>" on the store. The watches outlive the
/// client: attach() reopens them all on a new one (a reload that changed [Cluster]); a watch
/// that already delivered its initial batch then gets the difference against what it was
/// shown, as changes, so its owner never sees a second initial batch.
class WatchFanout {
  public:
    using Id = uint64_t;
    using Callback = std::function<void(const ClusterBatch&)>;

    WatchFanout() = default;
    WatchFanout(const WatchFanout&) = delete;
    WatchFanout& operator=(const WatchFanout&) = delete;

    /// Opens every watch on `client` under `storePrefix` (nullptr: closes them; nothing is
    /// delivered until the next attach).
    void attach(EtcdClient* client, const std::string& storePrefix);
    /// `owner` names the key space ("wireguard-mesh", "core") and the logs of a callback that
    /// threw.
    Id add(const std::string& owner, const std::string& prefix, Callback callback);
    void remove(Id id);
    size_t size() const { return watches_.size(); }

  private:
    struct Watch {
        Id id = 0;
        std::string owner;
        std::string prefix;  // relative to the owner's key space
        Callback callback;
        std::map<std::string, std::string> shown;  // relative key -> value, as delivered
        bool initialSent = false;
        std::unique_ptr<EtcdWatch> etcd;
    };
    void open(Watch& w);
    void onBatch(Id id, const WatchBatch& batch);

    EtcdClient* client_ = nullptr;
    std::string storePrefix_;
    Id lastId_ = 0;
    std::map<Id, std::unique_ptr<Watch>> watches_;
};

}  // namespace weft::cluster
