// Names of the cluster store's states, as weftctl and the logs show them.
#include "weft/cluster.hpp"

namespace weft {

const char* clusterStateName(ClusterState s) {
    switch (s) {
        case ClusterState::Standalone:
            return "standalone";
        case ClusterState::Connecting:
            return "connecting";
        case ClusterState::Connected:
            return "connected";
        case ClusterState::Disconnected:
            return "disconnected";
    }
    return "unknown";
}

}  // namespace weft
