// weave-policy: its side of the cluster store (cluster_sync.hpp holds the record logic).
#include "weave_plugin.hpp"

namespace weft::weave {
namespace {

constexpr const char* kCacheFile = "cluster-objects.json";

}  // namespace

bool WeavePlugin::clustered() const {
    return host_ && host_->clusterState() != ClusterState::Standalone;
}

ClusterObjects::Warn WeavePlugin::warner() const {
    return [this](const std::string& message) {
        if (host_)
            host_->log(LogLevel::Warning, message);
    };
}

void WeavePlugin::loadClusterCache() {
    // Standalone: a cache left from a clustered run is not in force.
    if (clustered())
        cluster_.loadCache(host_->runtimeDirectory() / kCacheFile, warner());
}

void WeavePlugin::watchCluster() {
    if (!clustered() || watching_)
        return;
    clusterWatch_ =
        host_->clusterWatch("objects/", [this](const ClusterBatch& b) { clusterBatch(b); });
    watching_ = true;
}

void WeavePlugin::stopCluster() {
    if (watching_ && host_)
        host_->clusterUnwatch(clusterWatch_);
    watching_ = false;
}

void WeavePlugin::clusterBatch(const ClusterBatch& batch) {
    // Batches come only while the store answers: an outage removes nothing.
    bool changed = cluster_.receive(batch, warner());
    if (changed || batch.initial)
        cluster_.saveCache(host_->runtimeDirectory() / kCacheFile, warner());
    if (changed)
        refresh();
}

}  // namespace weft::weave
