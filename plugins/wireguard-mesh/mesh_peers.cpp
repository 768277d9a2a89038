// MeshPlugin at run time: runtime peers, health, endpoint rotation and the targets set.
#include <algorithm>
#include <set>

#include "desired_state.hpp"
#include "mesh_plugin.hpp"
#include "peer_store.hpp"

namespace weft::mesh {

void MeshPlugin::log(LogLevel level, const std::string& message) {
    if (host_)
        host_->log(level, message);
}

EndpointRotation::Timing MeshPlugin::timing() const {
    return {settings_.endpointTimeout, settings_.peerDownAfter};
}

/// Takes the kernel's handshakes, counters and endpoints of the peers it has; true if a
/// peer's endpoint changed there (WireGuard roamed, or a restart adopted it).
bool MeshPlugin::observeKernel(TimePoint now) {
    auto status = host_->wireguardStatus(settings_.interface);
    if (!status)
        return false;
    std::map<std::string_view, const WireguardPeerStatus*> byKey;
    for (auto& s : *status)
        byKey[s.publicKey] = &s;
    bool roamed = false;
    for (auto& p : registry_.all()) {
        auto it = byKey.find(p.publicKey);
        if (it == byKey.end())
            continue;
        health_.observe(p.name, *it->second);
        if (watchdog_.stalled(p.name, *it->second, p.keepalive.value_or(settings_.keepalive), now))
            restartSession(p);
        auto c = candidates(p);
        auto before = rotation_.current(p.name, c);
        if (rotation_.observe(p.name, c, *it->second, now, timing())) {
            log(LogLevel::Info, "peer " + p.name + ": endpoint " +
                                    (before ? before->str() : "none") + " -> " +
                                    rotation_.current(p.name, c)->str() + " (from WireGuard)");
            roamed = true;
        }
    }
    return roamed;
}

/// A session the peer no longer holds (SessionWatchdog): a fresh one costs one handshake.
void MeshPlugin::restartSession(const PeerSpec& p) {
    bool done = host_->restartWireguardSession(settings_.interface, p.publicKey);
    watchdog_.restarted(p.name, clock_());
    log(done ? LogLevel::Notice : LogLevel::Warning,
        "peer " + p.name + ": nothing received while keepalives are due; " +
            (done ? "started a new session" : "could not restart its session"));
}

void MeshPlugin::tick() {
    if (!host_)
        return;
    TimePoint now = clock_();
    if (discovery_ && discovery_->expire(settings_.peerDownAfter))
        applyDiscovered();
    bool roamed = observeKernel(now), moved = false, changed = false;
    for (auto& p : registry_.all()) {
        auto c = candidates(p);
        auto before = rotation_.current(p.name, c);
        if (rotation_.rotate(p.name, c, now, timing())) {
            auto after = rotation_.current(p.name, c);
            log(LogLevel::Info, "peer " + p.name + ": no handshake via " +
                                    (before ? before->str() : "none") + "; trying " +
                                    (after ? after->str() : "none"));
            moved = true;
        }
        if (auto state = health_.evaluate(p.name, now, settings_.peerDownAfter)) {
            std::string name(stateName(*state));
            log(*state == PeerState::Down ? LogLevel::Warning : LogLevel::Notice,
                "peer " + p.name + " is " + name);
            host_->bus().emitSignal("PeerStateChanged", {p.name, name});
            changed = true;
        }
    }
    if (changed || moved || roamed)
        host_->bus().emitPropertiesChanged({"Peers"});
    if (changed)
        publishTargets();
    if (moved)
        host_->requestReconcile();
}

/// Starts a peer's health and endpoint over (a new key: a new session), announcing that its
/// state is unknown again.
void MeshPlugin::restartPeer(const std::string& name, const std::string& why) {
    rotation_.forget(name);
    PeerState was = health_.status(name).state;
    health_.forget(name);
    watchdog_.forget(name);
    health_.track(name, clock_());
    if (was == PeerState::Unknown || !host_)
        return;
    log(LogLevel::Notice, "peer " + name + " is unknown (" + why + ")");
    host_->bus().emitSignal("PeerStateChanged", {name, std::string(stateName(PeerState::Unknown))});
}

void MeshPlugin::trackPeers() {
    std::set<std::string> names;
    TimePoint now = clock_();
    for (auto& p : registry_.all()) {
        names.insert(p.name);
        health_.track(p.name, now);
    }
    health_.retain(names);
    rotation_.retain(names);
    watchdog_.retain(names);
}

bool MeshPlugin::bypassed(const PeerSpec& peer) const {
    return settings_.allowDownPeerBypass && health_.status(peer.name).state == PeerState::Down;
}

void MeshPlugin::publishTargets() {
    if (!host_)
        return;
    PrefixSet targets = targetSet(registry_.all(), [this](auto& p) { return bypassed(p); });
    if (published_ && *published_ == targets)
        return;
    host_->publishSet("targets", targets);
    published_ = std::move(targets);
}

void MeshPlugin::logIgnoredEndpoints(const PeerSpec& peer) {
    auto usable = candidates(peer);
    if (usable.size() == peer.endpoints.size())
        return;
    for (auto& e : peer.endpoints) {
        if (std::find(usable.begin(), usable.end(), e) != usable.end())
            continue;
        log(LogLevel::Warning, "peer " + peer.name + ": endpoint " + e.str() +
                                   " lies outside EndpointFilter=; ignored");
    }
    if (usable.empty()) {
        log(LogLevel::Warning, "peer " + peer.name +
                                   " has no usable endpoint: it is reachable only after it "
                                   "contacts this node");
    }
}

/// Applies a change to a copy of the registry, persists the copy and only then takes it: a
/// failed write leaves everything as it was.
void MeshPlugin::changeRuntimePeers(const std::string& what,
                                    const std::function<void(PeerRegistry&)>& change,
                                    const std::string& restart) {
    if (!host_)
        throw BusError("Failed", "wireguard-mesh is not running");
    PeerRegistry next = registry_;
    change(next);
    try {
        savePeers(host_->runtimeDirectory() / "peers.json", next.runtimePeers());
    } catch (const std::exception& e) {
        throw BusError("Failed", std::string("cannot store runtime peers: ") + e.what());
    }
    registry_ = std::move(next);
    log(LogLevel::Info, what);
    reportShadowed();
    trackPeers();
    if (!restart.empty())
        restartPeer(restart, "a new key or endpoints");
    publishTargets();
    host_->bus().emitPropertiesChanged({"Peers"});
    host_->requestReconcile();
}

void MeshPlugin::addPeer(const PeerArgs& args) {
    PeerSpec peer = runtimePeer(args);
    changeRuntimePeers("added runtime peer " + peer.name, [&](PeerRegistry& r) { r.add(peer); },
                       {});
    logIgnoredEndpoints(peer);
}

void MeshPlugin::updatePeer(const PeerArgs& args) {
    PeerSpec peer = runtimePeer(args);
    const PeerSpec* old = registry_.find(peer.name);
    // Same key and candidates: health and the chosen endpoint carry over.
    bool same = old && old->publicKey == peer.publicKey && old->endpoints == peer.endpoints;
    changeRuntimePeers(
        "updated runtime peer " + peer.name, [&](PeerRegistry& r) { r.update(peer); },
        same ? std::string() : peer.name);
    logIgnoredEndpoints(peer);
}

void MeshPlugin::removePeer(const std::string& name) {
    changeRuntimePeers("removed runtime peer " + name, [&](PeerRegistry& r) { r.remove(name); },
                       {});
}

std::vector<std::map<std::string, std::string>> MeshPlugin::peerRows() const {
    std::vector<std::map<std::string, std::string>> rows;
    for (auto& p : registry_.all()) {
        PeerStatus st = health_.status(p.name);
        auto endpoint = rotation_.current(p.name, candidates(p));
        std::string ips;
        for (auto& a : p.allowedIps)
            ips += (ips.empty() ? "" : " ") + a.str();
        rows.push_back({{"name", p.name},
                        {"publicKey", p.publicKey},
                        {"endpoint", endpoint ? endpoint->str() : ""},
                        {"state", std::string(stateName(st.state))},
                        {"lastHandshake", std::to_string(st.lastHandshake)},
                        {"rxBytes", std::to_string(st.rxBytes)},
                        {"txBytes", std::to_string(st.txBytes)},
                        {"source", sourceName(p.source)},
                        {"allowedIPs", ips}});
    }
    return rows;
}

Json MeshPlugin::peersJson() const {
    Json list = Json::array();
    for (auto& p : registry_.all()) {
        PeerStatus st = health_.status(p.name);
        auto usable = candidates(p);
        auto endpoint = rotation_.current(p.name, usable);
        Json j = Json::object();
        j["name"] = p.name;
        j["publicKey"] = p.publicKey;
        j["endpoint"] = endpoint ? Json(endpoint->str()) : Json();
        Json c = Json::array(), ips = Json::array();
        for (auto& e : usable)
            c.push_back(e.str());
        for (auto& a : p.allowedIps)
            ips.push_back(a.str());
        j["candidates"] = std::move(c);
        j["state"] = std::string(stateName(st.state));
        j["lastHandshake"] = st.lastHandshake;
        j["rxBytes"] = st.rxBytes;
        j["txBytes"] = st.txBytes;
        j["source"] = sourceName(p.source);
        j["allowedIPs"] = std::move(ips);
        j["persistentKeepalive"] = int64_t(p.keepalive.value_or(settings_.keepalive).count());
        j["presharedKey"] = !p.presharedKeyFile.empty();
        list.push_back(std::move(j));
    }
    return list;
}

}  // namespace weft::mesh
