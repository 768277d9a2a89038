#include "mesh_plugin.hpp"

#include <algorithm>
#include <fstream>

#include "identity.hpp"
#include "runtime_peers.hpp"
#include "weft/json.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::mesh {

using namespace std::chrono_literals;

MeshPlugin::MeshPlugin() : MeshPlugin([] { return std::chrono::system_clock::now(); }) {}
MeshPlugin::MeshPlugin(Clock clock)
    : clock_(std::move(clock)), tracker_(std::make_unique<PeerTracker>(clock_)) {}

PluginInfo MeshPlugin::info() const {
    return {"wireguard-mesh", "0.1.0", "org.weft.Weft1.WireguardMesh", "WireGuard full mesh"};
}

Lease MeshPlugin::lease(const Config& config) const {
    Lease l;
    l.nftTables = {"weft_wireguard_mesh"};
    l.links = {readSettings(config).interface};
    return l;
}

void MeshPlugin::configure(const Config& config) {
    settings_ = readSettings(config);
    if (host_)
        publishTargets();
}

std::vector<PeerSpec> MeshPlugin::allPeers() const {
    auto all = settings_.peers;
    all.insert(all.end(), runtimePeers_.begin(), runtimePeers_.end());
    return all;
}

MeshSettings MeshPlugin::effective() const {
    MeshSettings s = settings_;
    s.peers = allPeers();
    return s;
}

void MeshPlugin::start(Host& host) {
    host_ = &host;
    std::filesystem::path keyFile = settings_.privateKeyFile.empty()
                                        ? host.stateDirectory() / "private.key"
                                        : std::filesystem::path(settings_.privateKeyFile);
    privateKey_ = loadOrCreateKey(keyFile, settings_.privateKeyFile.empty());
    publicKey_ = *wg::publicKeyFor(privateKey_);
    host.log(LogLevel::Info, "identity " + publicKey_ + " (key in " + keyFile.string() + ")");
    runtimePeers_ = loadRuntimePeers(host.runtimeDirectory() / "peers.json");
    registerBus(host.bus());
    timer_ = host.addTimer(1s, [this] { tick(); });
    publishTargets();
}

void MeshPlugin::stop() {
    if (host_ && timer_)
        host_->cancelTimer(timer_);
}

PrefixSet MeshPlugin::targets() const {
    PrefixSet set;
    for (auto& p : allPeers()) {
        if (settings_.allowDownPeerBypass && tracker_->runtime(p.name).state == "down")
            continue;
        for (auto& a : p.allowedIps)
            set.add(a);
    }
    return set;
}

void MeshPlugin::publishTargets() {
    if (host_)
        host_->publishSet("targets", targets());
}

unsigned MeshPlugin::mtu() const {
    if (settings_.mtu)
        return *settings_.mtu;
    unsigned lowest = 0;
    for (auto& l : host_->links()) {
        if (!l.up || l.name == "lo" || l.name == settings_.interface || l.mtu == 0)
            continue;
        if (lowest == 0 || l.mtu < lowest)
            lowest = l.mtu;
    }
    return lowest > 1360 ? lowest - 80 : 1280;  // IPv6 underlay overhead: 80 bytes
}

DesiredState MeshPlugin::desiredState() {
    if (privateKey_.empty())
        throw std::runtime_error("no identity: the plugin did not start");
    MeshSettings s = effective();
    WireguardLink link;
    link.name = s.interface;
    link.backend = s.backend;
    link.wireguardGo = s.wireguardGo;
    link.privateKey = privateKey_;
    link.listenPort = s.listenPort;
    link.fwmark = s.firewallMark;
    link.mtu = mtu();
    link.addresses = s.addresses;
    for (auto& p : s.peers) {
        WireguardPeer wp;
        wp.publicKey = p.publicKey;
        if (!p.presharedKeyFile.empty()) {
            std::ifstream in(p.presharedKeyFile);
            std::getline(in, wp.presharedKey);
        }
        wp.endpoint = tracker_->endpointOf(p, s);
        wp.allowedIps = p.allowedIps;
        wp.persistentKeepalive = p.keepalive.value_or(s.keepalive);
        link.peers.push_back(wp);
    }
    // Clamp TCP MSS on SYNs entering the tunnel: its MTU is below the underlay's.
    nft::Table t{nft::TableFamily::Inet, "weft_wireguard_mesh", {}, {}};
    for (auto [name, hook] :
         {std::pair{"forward", nft::Hook::Forward}, std::pair{"output", nft::Hook::Output}}) {
        nft::Chain c{name, nft::BaseChain{nft::ChainType::Filter, hook, -150}, {}};
        c.rules.push_back(nft::Rule{}
                              .oif(s.interface)
                              .add(nft::ClampMss{})
                              .withComment("clamp mss into " + s.interface));
        t.chains.push_back(c);
    }
    DesiredState d;
    d.wireguard.push_back(link);
    d.tables.push_back(t);
    return d;
}

void MeshPlugin::tick() {
    if (!host_)
        return;
    auto status = host_->wireguardStatus(settings_.interface);
    if (!status)
        return;
    auto ch = tracker_->update(effective(), *status);
    for (auto& [peer, state] : ch.states) {
        host_->log(LogLevel::Notice, "peer " + peer + " is " + state);
        host_->bus().emitSignal("PeerStateChanged", {peer, state});
    }
    if (!ch.states.empty()) {
        host_->bus().emitPropertiesChanged({"Peers"});
        if (settings_.allowDownPeerBypass)
            publishTargets();
    }
    if (ch.endpointsMoved)
        host_->requestReconcile();
}

}  // namespace weft::mesh
