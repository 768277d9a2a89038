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
    // A policy or namespace this node applied, deleted on another node: deleted here too, so
    // a delete anywhere lifts it everywhere. A manifest file's object is the file's to say:
    // it stays and is written back.
    bool removed = false;
    for (const auto& key : cluster_.takeDeletedElsewhere()) {
        // The core still wants our old record in the store: drop that wish, or writing the
        // same object again later would send nothing.
        host_->clusterDelete(ClusterObjects::recordKey(key));
        if (runtime_.remove(key)) {
            host_->log(LogLevel::Notice, key.str() + ": deleted cluster-wide on another node");
            removed = true;
        } else if (fileOf_.count(key)) {
            host_->log(LogLevel::Warning, key.str() +
                                              ": deleted from the cluster store on another node, "
                                              "but " +
                                              fileOf_.at(key) + " has it: written back");
        }
    }
    if (removed)
        saveRuntime();
    if (changed || removed)
        refresh();
}

}  // namespace weft::weave
