// The cluster store as weftd sees it: the connection to etcd, this node's lease and record,
// and the plugins' records and watches (weft/cluster.hpp is the plugins' side of it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cluster_settings.hpp"
#include "etcd_client.hpp"
#include "etcd_lease.hpp"
#include "event_loop.hpp"
#include "record_writer.hpp"
#include "watch_fanout.hpp"
#include "weft/cluster.hpp"
#include "weft/json.hpp"

namespace weft::cluster {

/// Always present in weftd; Standalone until configure() names a backend. The plugins'
/// records and watches belong to the store, not to the connection: configure() with changed
/// settings replaces the connection (client, lease, watches) and carries them over: records
/// are written under the new lease, watches deliver the difference. Stopping weftd does not
/// revoke the lease: a restart must not make peers drop this node; if it stays away, the
/// lease expires and its records go. Every call returns at once.
class ClusterStore {
  public:
    using Id = uint64_t;

    /// `version` goes into this node's record.
    ClusterStore(EventLoop& loop, std::string version);
    ~ClusterStore();
    ClusterStore(const ClusterStore&) = delete;
    ClusterStore& operator=(const ClusterStore&) = delete;

    /// Takes `settings` into use; nothing happens when they did not change.
    void configure(const ClusterSettings& settings);
    const ClusterSettings& settings() const { return settings_; }

    ClusterState state() const { return state_; }
    const std::string& nodeName() const { return settings_.nodeName; }
    /// Runs `fn` on every state change until removeStateCallback(id).
    Id onStateChanged(std::function<void(ClusterState)> fn);
    void removeStateCallback(Id id);

    /// Host::clusterPut for `plugin`; throws std::invalid_argument for a bad key or value.
    void put(const std::string& plugin, const std::string& key, const std::string& value,
             RecordLifetime lifetime);
    void remove(const std::string& plugin, const std::string& key);
    Id watch(const std::string& plugin, const std::string& prefix,
             std::function<void(const ClusterBatch&)> fn);
    void unwatch(Id id);

    /// weftctl cluster's view: see docs/CLUSTER.md ("DescribeCluster").
    Json describe() const;

    // For tests.
    int64_t leaseId() const { return keeper_ ? keeper_->id() : 0; }
    const RecordWriter& writer() const { return *writer_; }
    EtcdClient* client() { return client_.get(); }

  private:
    void connect();
    void disconnect();
    void onClientState(ConnectionState s, const std::string& reason);
    void onLease(int64_t id);
    void onNodes(const ClusterBatch& batch);
    void setState(ClusterState s);
    std::string coreKey() const;  // this node's own record
    std::string fullKey(const std::string& plugin, const std::string& key) const;

    EventLoop& loop_;
    std::string version_;
    int64_t started_;  // unix seconds, for this node's record
    ClusterSettings settings_;
    ClusterState state_ = ClusterState::Standalone;
    // The client outlives what borrows it (the destructor also tears down in this order).
    std::unique_ptr<EtcdClient> client_;
    std::unique_ptr<LeaseKeeper> keeper_;
    std::unique_ptr<RecordWriter> writer_;
    WatchFanout watches_;
    WatchFanout::Id nodesWatch_ = 0;
    std::map<Id, std::function<void(ClusterState)>> stateCallbacks_;
    Id lastCallback_ = 0;
    std::map<std::string, Json> nodes_;  // node name -> its core record, as the store holds it
};

}  // namespace weft::cluster
