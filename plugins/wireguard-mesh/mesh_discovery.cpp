// MeshPlugin and [Discovery]: when to run Discovery, and its nodes becoming peers.
#include "mesh_plugin.hpp"

namespace weft::mesh {

namespace {

bool samePeer(const PeerSpec& a, const PeerSpec& b) {
    return a.publicKey == b.publicKey && a.endpoints == b.endpoints && a.allowedIps == b.allowedIps;
}

}  // namespace

/// Brings Discovery in line with the settings, the store and this node's record: started,
/// stopped, or its record published again. Called whenever one of them may have changed.
void MeshPlugin::syncDiscovery() {
    if (!host_)
        return;
    if (!settings_.discovery.etcd) {
        if (!discovery_)
            return;
        discovery_->withdraw();
        discovery_.reset();
        log(LogLevel::Info, "[Discovery] is off: this node's record withdrawn");
        applyDiscovered();
        return;
    }
    if (host_->clusterState() == ClusterState::Standalone) {
        if (!standaloneWarned_) {
            log(LogLevel::Warning,
                "[Discovery] Etcd=yes, but weftd.conf has no [Cluster] Backend=: no discovery");
        }
        standaloneWarned_ = true;
        return;
    }
    if (!discovery_) {
        discovery_ = std::make_unique<Discovery>(*host_, clock_, [this] { applyDiscovered(); });
        discovery_->start();
    }
    discovery_->observeStore();
    const std::string& node = host_->clusterNodeName();
    if (!identity_)
        return;  // a broken key file: desiredState() reports it
    if (!isPeerName(node)) {
        log(LogLevel::Error, "cluster node name '" + clipped(node) +
                                 "' is not a peer name (1-64 letters, digits, '_', '.', '-'): "
                                 "this node is not published");
        return;
    }
    try {
        discovery_->publish(ownRecord(node, settings_, identity_->publicKey, host_->links()));
    } catch (const std::exception& e) {
        log(LogLevel::Error, std::string("cannot publish this node: ") + e.what());
    }
}

/// Takes Discovery's nodes as the registry's discovered peers; a peer with a new key starts
/// over at once and the link is reconciled right away.
void MeshPlugin::applyDiscovered() {
    if (!host_)
        return;
    std::map<std::string, PeerSpec> before;
    for (auto& p : registry_.discoveredPeers())
        before.emplace(p.name, p);
    registry_.setDiscoveredPeers(discovery_ ? discovery_->peers() : std::vector<PeerSpec>{});
    reportShadowed();
    trackPeers();
    bool changed = before.size() != registry_.discoveredPeers().size();
    for (auto& p : registry_.discoveredPeers()) {
        auto old = before.find(p.name);
        if (old == before.end() || !samePeer(old->second, p))
            changed = true;
        if (old != before.end() && old->second.publicKey != p.publicKey)
            restartPeer(p.name, "a new key in its record");
        else if (old != before.end() && old->second.endpoints != p.endpoints)
            rotation_.forget(p.name);
        if (old == before.end() || old->second.endpoints != p.endpoints)
            logIgnoredEndpoints(p);
    }
    if (!changed)
        return;
    publishTargets();
    host_->bus().emitPropertiesChanged({"Peers"});
    host_->requestReconcile();
}

void MeshPlugin::reportShadowed() {
    if (discovery_)
        discovery_->reportShadowed(registry_.shadowed());
}

Json MeshPlugin::discoveryJson() const {
    Json j = Json::object();
    j["etcd"] = settings_.discovery.etcd;
    j["active"] = discovery_ != nullptr;
    j["nodes"] = discovery_ ? discovery_->nodes() : 0;
    Json published;  // null until published
    if (discovery_ && !discovery_->published().empty())
        published = Json::parse(discovery_->published());
    j["published"] = std::move(published);
    return j;
}

}  // namespace weft::mesh
