// [Discovery] Etcd=yes: this node's record in the cluster store, and the other nodes' records
// as peers.
//
// Publishing: "nodes/<node name>" under the node's lease (it vanishes when the node does),
// put again whenever its content changes. Watching "nodes/": the last good version of each
// other node's record is kept; a record that fails its checks is logged with its key and
// ignored, so a peer is never half-applied. A Delete (the node's lease expired) starts the
// node's grace period, PeerDownAfter=; a Put within it revives the node. The grace clock
// stands still while the store does not answer: only the store removes nodes, never an
// outage. What was seen is cached in <runtime directory>/discovered.json, so a restarted
// weftd starts with its peers; the watch's first batch then replaces the cache, nodes missing
// from it getting the grace period.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "discovery_record.hpp"
#include "weft/plugin.hpp"

namespace weft::mesh {

/// The endpoints this node publishes: Endpoints= when set, otherwise each global unicast
/// address (no loopback, link-local, multicast or unspecified one) of every up link but
/// `meshInterface`, with `listenPort`, in link order, except those inside a network (not a
/// host prefix) of `throughMesh`, the prefixes this node advertises: other nodes reach those
/// through the tunnel.
std::vector<Endpoint> publishedEndpoints(const DiscoverySettings& settings,
                                         const std::vector<LinkInfo>& links,
                                         const std::string& meshInterface, uint16_t listenPort,
                                         const std::vector<Prefix>& throughMesh);

/// This node's record.
NodeRecord ownRecord(const std::string& nodeName, const MeshSettings& settings,
                     const std::string& publicKey, const std::vector<LinkInfo>& links);

class Discovery {
  public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    /// `host` is borrowed until stop(). `changed` runs after the known records changed.
    Discovery(Host& host, Clock clock, std::function<void()> changed);
    ~Discovery();
    Discovery(const Discovery&) = delete;
    Discovery& operator=(const Discovery&) = delete;

    /// Restores the cache and starts watching "nodes/"; `changed` runs if the cache had nodes.
    void start();
    /// Ends the watch: no callback runs afterwards. The record stays (plugin or daemon stop).
    void stop();
    /// Puts `record` when it differs from the last one put.
    void publish(const NodeRecord& record);
    /// Discovery was switched off: stop(), and delete this node's record and the cache.
    void withdraw();

    /// One peer per known node (those within their grace period too), by node name.
    std::vector<PeerSpec> peers() const;
    /// Notes the store's state now: the grace clock stands still while it is not Connected.
    /// Call on every change of Host::clusterState().
    void observeStore();
    /// Forgets the nodes gone for longer than `grace` of store time; true if there were any.
    bool expire(std::chrono::milliseconds grace);
    /// Logs each discovered peer the registry left out, once per reason and record version.
    void reportShadowed(const std::map<std::string, std::string>& shadowed);

    /// For Describe: the record as last put ("" before), and the known nodes.
    const std::string& published() const { return published_; }
    size_t nodes() const { return nodes_.size(); }

  private:
    struct Node {
        NodeRecord record;
        std::string text;  ///< as stored: the cache keeps it, to check it again at restore
        std::optional<std::chrono::system_clock::time_point> goneSince;
    };

    void onBatch(const ClusterBatch& batch);
    bool put(const std::string& key, const std::string& value);
    bool remove(const std::string& key);
    void restore();
    void save();
    std::filesystem::path cacheFile() const;
    void log(LogLevel level, const std::string& message);

    Host& host_;
    Clock clock_;
    std::function<void()> changed_;
    Host::ClusterWatchId watch_ = 0;
    std::string published_;
    std::map<std::string, Node> nodes_;            ///< by node name
    std::map<std::string, std::string> reported_;  ///< node -> shadowing reason logged
    std::optional<std::chrono::system_clock::time_point> pausedSince_;
};

}  // namespace weft::mesh
