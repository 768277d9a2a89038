// MeshPlugin's life cycle: validate, lease, configure, start, desired state, describe.
#include "mesh_plugin.hpp"

#include <algorithm>
#include <system_error>

#include "bus_api.hpp"
#include "desired_state.hpp"
#include "key_file.hpp"
#include "peer_store.hpp"
#include "weft/json.hpp"
#include "weft/wireguard_key.hpp"
#include "weft_build_config.h"

namespace weft::mesh {

using namespace std::chrono_literals;

MeshPlugin::MeshPlugin() : MeshPlugin([] { return std::chrono::system_clock::now(); }) {}
MeshPlugin::MeshPlugin(Clock clock) : clock_(std::move(clock)) {}

PluginInfo MeshPlugin::info() const {
    return {"wireguard-mesh", WEFT_VERSION, "org.weft.Weft1.WireguardMesh",
            "WireGuard full mesh: identity, peers, endpoints, health"};
}

std::filesystem::path MeshPlugin::keyFile(const MeshSettings& s) const {
    if (!s.privateKeyFile.empty())
        return s.privateKeyFile;
    return stateDirectory_ / "private.key";
}

const std::string& MeshPlugin::publicKey() const {
    static const std::string none;
    return identity_ ? identity_->publicKey : none;
}

/// This node's public key under the settings `s`, read from the key file as configure() will:
/// from PrivateKeyFile=, or once the state directory is known from the generated key. Throws
/// a reason when the key file is unusable, or missing after the plugin started: a key is
/// generated only by the first start().
std::optional<std::string> MeshPlugin::ownKeyForValidation(const MeshSettings& s) const {
    if (s.privateKeyFile.empty() && stateDirectory_.empty())
        return std::nullopt;  // not started: start() checks
    auto file = keyFile(s);
    std::error_code ec;
    if (s.privateKeyFile.empty() && !std::filesystem::exists(file, ec)) {
        if (!started_)
            return std::nullopt;  // start() generates it: nobody can know it yet
        throw std::runtime_error(file.string() +
                                 " does not exist; refusing to become another node while running "
                                 "(restore the file)");
    }
    return wg::publicKeyFor(readPrivateKeyFile(file));
}

void MeshPlugin::validate(const Config& config) const {
    std::vector<ConfigError> errors;
    MeshSettings s = readSettings(config, errors);
    const Section* mesh = config.section("Mesh");
    std::optional<std::string> own;
    try {
        own = ownKeyForValidation(s);
    } catch (const std::exception& e) {
        // PrivateKeyFile= problems are reported already, at its line.
        std::string why = std::string("private key: ") + e.what();
        if (s.privateKeyFile.empty() && mesh)
            errors.push_back(mesh->error("", why));
        else if (s.privateKeyFile.empty())
            errors.push_back({{config.files.empty() ? "wireguard-mesh.conf" : config.files[0], 0},
                              "Mesh",
                              "",
                              why});
    }
    for (const Section* p : config.named("Peer")) {
        if (own && p->str("PublicKey") == *own)
            errors.push_back(p->error("PublicKey", "that is this node's own public key"));
    }
    if (!errors.empty())
        throw ConfigException(std::move(errors));
}

Lease MeshPlugin::lease(const Config& config) const {
    std::vector<ConfigError> ignored;  // validate() reported them
    Lease l;
    l.nftTables = {kTableName};
    l.links = {readSettings(config, ignored).interface};
    return l;
}

void MeshPlugin::configure(const Config& config) {
    MeshSettings previous = std::move(settings_);
    std::string previousKey = publicKey();
    std::vector<ConfigError> ignored;  // validate() reported them
    settings_ = readSettings(config, ignored);
    if (host_) {
        // A reload re-reads the key file, like every other file, and never generates one.
        // Must not fail here: a key that broke since validate() fails desiredState() instead.
        try {
            loadIdentity(false);
        } catch (const std::exception& e) {
            identity_.reset();
            log(LogLevel::Error, e.what());
        }
    }
    adoptConfigPeers(previous);
    if (host_) {
        syncDiscovery();
        announceChanges(previous, previousKey);
    }
}

void MeshPlugin::loadIdentity(bool generate) {
    auto file = keyFile(settings_);
    std::string before = publicKey();
    identity_ = mesh::loadIdentity(file, generate && settings_.privateKeyFile.empty());
    registry_.setOwnKey(identity_->publicKey);
    if (identity_->publicKey != before) {
        log(LogLevel::Info,
            "identity " + identity_->publicKey + " (private key in " + file.string() + ")");
    }
}

/// Takes the config's peers; peers with a new key or new candidates start their health and
/// endpoint rotation over.
void MeshPlugin::adoptConfigPeers(const MeshSettings& previous) {
    std::map<std::string, PeerSpec> before;
    for (auto& p : registry_.all())
        before.emplace(p.name, std::move(p));
    auto dropped = registry_.setConfigPeers(settings_.peers);
    for (auto& message : dropped)
        log(LogLevel::Warning, message + " (the config file wins)");
    if (!host_)
        return;
    reportShadowed();
    if (!dropped.empty()) {
        try {
            savePeers(host_->runtimeDirectory() / "peers.json", registry_.runtimePeers());
        } catch (const std::exception& e) {
            log(LogLevel::Error, e.what());
        }
    }
    trackPeers();
    if (previous.interface != settings_.interface ||
        previous.endpointFilter != settings_.endpointFilter)
        rotation_.clear();
    for (auto& p : settings_.peers) {
        auto old = before.find(p.name);
        if (old != before.end() && old->second.publicKey != p.publicKey)
            restartPeer(p.name, "a new key");
        else if (old != before.end() && old->second.endpoints != p.endpoints)
            rotation_.forget(p.name);
        logIgnoredEndpoints(p);
    }
    publishTargets();
}

void MeshPlugin::announceChanges(const MeshSettings& previous, const std::string& previousKey) {
    std::vector<std::string> changed{"Peers"};
    if (previous.interface != settings_.interface)
        changed.push_back("Interface");
    if (previous.listenPort != settings_.listenPort)
        changed.push_back("ListenPort");
    if (previousKey != publicKey())
        changed.push_back("PublicKey");
    host_->bus().emitPropertiesChanged(changed);
}

void MeshPlugin::restoreRuntimePeers() {
    std::vector<std::string> problems, dropped;
    auto file = host_->runtimeDirectory() / "peers.json";
    try {
        dropped = registry_.restoreRuntime(loadPeers(file, problems));
    } catch (const std::exception& e) {
        // Runtime peers are a cache of what a controller told us; it will tell us again.
        auto aside = file;
        aside += ".corrupt";
        std::error_code ec;
        std::filesystem::rename(file, aside, ec);
        log(LogLevel::Error, std::string(e.what()) + "; moved to " + aside.string() +
                                 ", starting without runtime peers");
    }
    for (auto& p : problems)
        log(LogLevel::Warning, file.string() + ": " + p);
    for (auto& d : dropped)
        log(LogLevel::Warning, file.string() + ": " + d + " (the config file wins)");
    if (dropped.empty())
        return;
    // As on a reload: a peer the config file beat is gone from the store too.
    try {
        savePeers(file, registry_.runtimePeers());
    } catch (const std::exception& e) {
        log(LogLevel::Error, e.what());
    }
}

/// What a crash in writeFileAtomically() leaves: "private.key.XXXXXX", "peers.json.XXXXXX", ...
void MeshPlugin::removeLeftovers() {
    for (auto& file : {keyFile(settings_), host_->runtimeDirectory() / "peers.json",
                       host_->runtimeDirectory() / "discovered.json"}) {
        if (file == settings_.privateKeyFile)
            continue;  // not ours: we never write it
        for (auto& tmp : removeStaleTemporaries(file))
            log(LogLevel::Notice, "removed " + tmp.string() + ", left by an interrupted write");
    }
}

void MeshPlugin::start(Host& host) {
    host_ = &host;
    try {
        stateDirectory_ = host.stateDirectory();
        removeLeftovers();
        loadIdentity(!started_);
        for (auto& p : settings_.peers) {
            if (p.publicKey == identity_->publicKey) {
                throw std::runtime_error(p.where.str() + ": [Peer " + p.name +
                                         "] PublicKey: that is this node's own public key");
            }
        }
        restoreRuntimePeers();
    } catch (...) {
        host_ = nullptr;  // the core may replace the host before the next start()
        identity_.reset();
        throw;
    }
    registerBusApi(host.bus(), *this);
    timer_ = host.addTimer(1s, [this] { tick(); });
    host.onClusterStateChanged([this](ClusterState) { syncDiscovery(); });
    host.onLinksChanged([this] {
        syncDiscovery();  // the default endpoints are the links' addresses
        if (!host_ || settings_.mtu || !lastMtu_)
            return;
        unsigned mtu =
            linkMtu(settings_.mtu, host_->links(), settings_.interface, currentEndpoints());
        if (mtu != *lastMtu_) {
            log(LogLevel::Info,
                "MTU=auto: " + std::to_string(*lastMtu_) + " -> " + std::to_string(mtu));
            host_->requestReconcile();
        }
    });
    trackPeers();
    for (auto& p : registry_.all())
        logIgnoredEndpoints(p);
    publishTargets();
    syncDiscovery();
    started_ = true;
}

void MeshPlugin::stop() {
    if (host_ && timer_)
        host_->cancelTimer(timer_);
    timer_ = 0;
    if (discovery_)
        discovery_->stop();
    discovery_.reset();
    host_ = nullptr;
}

std::vector<Endpoint> MeshPlugin::candidates(const PeerSpec& peer) const {
    return usableEndpoints(peer, settings_.endpointFilter);
}

/// The endpoint every peer uses now, for MTU=auto.
std::vector<Endpoint> MeshPlugin::currentEndpoints() const {
    std::vector<Endpoint> out;
    for (auto& p : registry_.all()) {
        if (auto e = rotation_.current(p.name, candidates(p)))
            out.push_back(*e);
    }
    return out;
}

DesiredState MeshPlugin::desiredState() {
    if (!host_)
        throw std::runtime_error("wireguard-mesh has not started");
    if (!identity_)
        loadIdentity(false);
    // The kernel's endpoints as they are now: a peer that roamed since the last tick keeps
    // its new one, and after a weftd restart the first reconcile keeps what worked.
    observeKernel(clock_());
    unsigned mtu = linkMtu(settings_.mtu, host_->links(), settings_.interface, currentEndpoints());
    WireguardLink link = wireguardLink(settings_, *identity_, mtu);
    for (auto& p : registry_.all()) {
        auto endpoint = rotation_.current(p.name, candidates(p));
        link.peers.push_back(wireguardPeer(p, endpoint, settings_.keepalive));
    }
    lastMtu_ = mtu;
    DesiredState d;
    d.wireguard.push_back(std::move(link));
    d.tables.push_back(mssClampTable(settings_.interface));
    return d;
}

namespace {

Json strings(const auto& items) {
    Json a = Json::array();
    for (auto& i : items)
        a.push_back(i.str());
    return a;
}

std::string_view backendName(WireguardBackend b) {
    return b == WireguardBackend::Kernel      ? "kernel"
           : b == WireguardBackend::Userspace ? "userspace"
                                              : "auto";
}

}  // namespace

std::string MeshPlugin::describe() const {
    Json j = Json::object();
    j["interface"] = settings_.interface;
    j["publicKey"] = publicKey();
    j["listenPort"] = unsigned(settings_.listenPort);
    j["firewallMark"] = Mark{settings_.firewallMark}.str();
    j["mtu"] = lastMtu_ ? Json(*lastMtu_) : Json(settings_.mtu ? *settings_.mtu : 0u);
    j["mtuAuto"] = !settings_.mtu.has_value();
    j["backend"] = std::string(backendName(settings_.backend));
    j["addresses"] = strings(settings_.addresses);
    j["advertisedPrefixes"] = strings(settings_.advertised);
    Json filter = Json::array();
    for (auto& f : settings_.endpointFilter.strs())
        filter.push_back(f);
    j["endpointFilter"] = std::move(filter);
    j["allowDownPeerBypass"] = settings_.allowDownPeerBypass;
    j["discovery"] = discoveryJson();
    j["peers"] = peersJson();
    j["targets"] = published_ ? strings(published_->prefixes()) : Json::array();
    return jsonText(j);
}

}  // namespace weft::mesh
