// wireguard-mesh's D-Bus interface (org.weft.Weft1.WireguardMesh) and Describe.
#include <algorithm>

#include "mesh_plugin.hpp"
#include "runtime_peers.hpp"
#include "weft/json.hpp"

namespace weft::mesh {

std::vector<std::map<std::string, std::string>> MeshPlugin::peerRows() {
    std::vector<std::map<std::string, std::string>> rows;
    MeshSettings s = effective();
    for (auto& p : s.peers) {
        auto& rt = tracker_->runtime(p.name);
        auto ep = tracker_->endpointOf(p, s);
        std::string ips;
        for (auto& a : p.allowedIps)
            ips += (ips.empty() ? "" : " ") + a.str();
        rows.push_back({{"name", p.name},
                        {"publicKey", p.publicKey},
                        {"endpoint", ep ? ep->str() : ""},
                        {"state", rt.state},
                        {"lastHandshake", std::to_string(rt.lastHandshake)},
                        {"rxBytes", std::to_string(rt.rx)},
                        {"txBytes", std::to_string(rt.tx)},
                        {"source", p.runtime ? "runtime" : "config"},
                        {"allowedIPs", ips}});
    }
    return rows;
}

void MeshPlugin::registerBus(BusObject& bus) {
    bus.addProperty("PublicKey", "s", [this] { return BusValue{publicKey_}; });
    bus.addProperty("ListenPort", "u", [this] { return BusValue{uint32_t(settings_.listenPort)}; });
    bus.addProperty("Interface", "s", [this] { return BusValue{settings_.interface}; });
    bus.addProperty("Peers", "aa{ss}", [this] { return BusValue{peerRows()}; });
    std::vector<BusArg> peerArgs{{"name", "s"},
                                 {"publicKey", "s"},
                                 {"endpoints", "as"},
                                 {"allowedIps", "as"},
                                 {"persistentKeepalive", "u"}};
    bus.addMethod(
        "AddPeer", peerArgs, {}, [this](auto& a) { return addOrUpdate(a, false); }, true);
    bus.addMethod(
        "UpdatePeer", peerArgs, {}, [this](auto& a) { return addOrUpdate(a, true); }, true);
    bus.addMethod(
        "RemovePeer", {{"name", "s"}}, {}, [this](auto& a) { return removePeer(a); }, true);
    bus.addSignal("PeerStateChanged", {{"name", "s"}, {"state", "s"}});
}

std::vector<BusValue> MeshPlugin::addOrUpdate(const std::vector<BusValue>& args, bool update) {
    PeerSpec p = peerFromBus(args);
    auto sameName = [&](auto& x) { return x.name == p.name; };
    if (std::any_of(settings_.peers.begin(), settings_.peers.end(), sameName)) {
        throw BusError("InvalidArgument",
                       "name: peer " + p.name + " comes from wireguard-mesh.conf; edit the file");
    }
    auto it = std::find_if(runtimePeers_.begin(), runtimePeers_.end(), sameName);
    if (update && it == runtimePeers_.end())
        throw BusError("NotFound", "name: no runtime peer " + p.name);
    if (!update && it != runtimePeers_.end())
        throw BusError("InvalidArgument", "name: peer " + p.name + " exists; use UpdatePeer");
    for (auto& other : allPeers()) {
        if (other.publicKey == p.publicKey && other.name != p.name) {
            throw BusError("InvalidArgument", "publicKey: already used by peer " + other.name);
        }
    }
    if (p.publicKey == publicKey_)
        throw BusError("InvalidArgument", "publicKey: that is this node's own key");
    if (update)
        *it = p;
    else
        runtimePeers_.push_back(p);
    tracker_->forget(p.name);
    saveRuntimePeers(host_->runtimeDirectory() / "peers.json", runtimePeers_);
    host_->log(LogLevel::Info,
               std::string(update ? "updated" : "added") + " runtime peer " + p.name);
    publishTargets();
    host_->bus().emitPropertiesChanged({"Peers"});
    host_->requestReconcile();
    return {};
}

std::vector<BusValue> MeshPlugin::removePeer(const std::vector<BusValue>& args) {
    std::string name = std::get<std::string>(args.at(0));
    auto sameName = [&](auto& x) { return x.name == name; };
    if (std::any_of(settings_.peers.begin(), settings_.peers.end(), sameName)) {
        throw BusError("InvalidArgument",
                       "name: peer " + name + " comes from wireguard-mesh.conf; edit the file");
    }
    auto it = std::find_if(runtimePeers_.begin(), runtimePeers_.end(), sameName);
    if (it == runtimePeers_.end())
        throw BusError("NotFound", "name: no runtime peer " + name);
    runtimePeers_.erase(it);
    tracker_->forget(name);
    saveRuntimePeers(host_->runtimeDirectory() / "peers.json", runtimePeers_);
    publishTargets();
    host_->bus().emitPropertiesChanged({"Peers"});
    host_->requestReconcile();
    return {};
}

std::string MeshPlugin::describe() const {
    Json j = Json::object();
    j["interface"] = settings_.interface;
    j["publicKey"] = publicKey_;
    j["listenPort"] = int64_t(settings_.listenPort);
    j["mtu"] = host_ ? int64_t(mtu()) : int64_t(0);
    Json addrs = Json::array();
    for (auto& a : settings_.addresses)
        addrs.push(a.str());
    j["addresses"] = addrs;
    Json adv = Json::array();
    for (auto& a : settings_.advertised)
        adv.push(a.str());
    j["advertisedPrefixes"] = adv;
    Json peers = Json::array();
    for (auto& row : const_cast<MeshPlugin*>(this)->peerRows()) {
        Json p = Json::object();
        for (auto& [k, v] : row)
            p[k] = v;
        peers.push(p);
    }
    j["peers"] = peers;
    Json t = Json::array();
    for (auto& p : targets().prefixes())
        t.push(p.str());
    j["targets"] = t;
    return j.dump();
}

}  // namespace weft::mesh
