// weft plugin SDK: the cluster store as a plugin sees it ([Cluster] in weftd.conf).
//
// Each plugin has its own key space in the store, "<Prefix><plugin>/" (e.g.
// "/weft/wireguard-mesh/"); every key below is relative to it. A plugin states which records
// it wants in the store (Host::clusterPut / clusterDelete) and the core makes it so: while
// the store is unreachable the wish is kept and written on reconnect, and node records are
// written again under every new lease. Watches deliver the key space as the store holds it.
// When the store is unreachable nothing is delivered: a plugin keeps what it last saw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weft {

enum class ClusterState {
    Standalone,    ///< no [Cluster] Backend=: every cluster call is a no-op
    Connecting,    ///< configured, not answered yet
    Connected,     ///< the store answers
    Disconnected,  ///< every endpoint failed; retrying with back-off
};
const char* clusterStateName(ClusterState s);

/// How long a record lives.
enum class RecordLifetime {
    Node,       ///< under this node's lease: it goes when the node does (lease expiry)
    Persistent  ///< stays until deleted (objects applied cluster-wide)
};

/// One change in a watched key space. Keys are relative to the plugin's key space.
struct ClusterEvent {
    enum class Type { Put, Delete };
    Type type = Type::Put;
    std::string key;
    std::string value;  ///< empty for Delete
    bool operator==(const ClusterEvent&) const = default;
};

struct ClusterBatch {
    /// True for the first delivery of a watch: the whole prefix as it is (Puts only).
    /// Later batches are changes; after a compaction or outage the core relists and sends
    /// the difference, so a plugin never needs to tell the cases apart.
    bool initial = false;
    std::vector<ClusterEvent> events;
};

}  // namespace weft
