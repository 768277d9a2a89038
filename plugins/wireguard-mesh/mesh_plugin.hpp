// wireguard-mesh: a KubeSpan-style WireGuard full mesh. It owns one WireGuard link and its
// peers (from the config file, from D-Bus and from the cluster store), tracks their health and
// endpoints, and publishes the prefixes reachable through the mesh as the named set
// "wireguard-mesh/targets".
//
// Reading order: mesh_config (settings) -> identity (key) -> peer_registry (+ peer_store) ->
// discovery_record, discovery (cluster store) -> endpoint_rotation, peer_health (runtime) ->
// desired_state -> bus_api; this class wires them.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "discovery.hpp"
#include "endpoint_rotation.hpp"
#include "identity.hpp"
#include "mesh_config.hpp"
#include "peer_health.hpp"
#include "peer_registry.hpp"
#include "session_watchdog.hpp"
#include "weft/json.hpp"
#include "weft/plugin.hpp"

namespace weft::mesh {

class MeshPlugin final : public Plugin {
  public:
    using Clock = std::function<TimePoint()>;

    MeshPlugin();
    /// Tests inject the time that health and endpoint rotation see.
    explicit MeshPlugin(Clock clock);

    PluginInfo info() const override;
    Schema schema() const override { return meshSchema(); }
    void validate(const Config& config) const override;
    Lease lease(const Config& config) const override;
    void configure(const Config& config) override;
    void start(Host& host) override;
    DesiredState desiredState() override;
    std::string describe() const override;
    void stop() override;

    // The D-Bus interface's view (bus_api.cpp); also what tests inspect.
    /// This node's public key; empty before start().
    const std::string& publicKey() const;
    const MeshSettings& settings() const { return settings_; }
    /// One row per peer: name, publicKey, endpoint, state, lastHandshake, rxBytes, txBytes,
    /// source (config|runtime|discovery), allowedIPs (space-separated).
    std::vector<std::map<std::string, std::string>> peerRows() const;
    /// Runtime peers; throw BusError ("InvalidArgument", "NotFound", "Failed").
    void addPeer(const PeerArgs& args);
    void updatePeer(const PeerArgs& args);
    void removePeer(const std::string& name);

  private:
    // mesh_plugin.cpp: life cycle and desired state
    std::filesystem::path keyFile(const MeshSettings& s) const;
    std::optional<std::string> ownKeyForValidation(const MeshSettings& s) const;
    void loadIdentity(bool generate);
    void removeLeftovers();
    void restoreRuntimePeers();
    void adoptConfigPeers(const MeshSettings& previous);
    void announceChanges(const MeshSettings& previous, const std::string& previousKey);
    std::vector<Endpoint> candidates(const PeerSpec& peer) const;
    std::vector<Endpoint> currentEndpoints() const;

    // mesh_peers.cpp: runtime peers, health, rotation, targets
    void tick();
    bool observeKernel(TimePoint now);
    EndpointRotation::Timing timing() const;
    void changeRuntimePeers(const std::string& what, const std::function<void(PeerRegistry&)>& f,
                            const std::string& restart);
    void restartPeer(const std::string& name, const std::string& why);
    void restartSession(const PeerSpec& peer);
    void trackPeers();
    void publishTargets();
    bool bypassed(const PeerSpec& peer) const;
    void logIgnoredEndpoints(const PeerSpec& peer);
    void log(LogLevel level, const std::string& message);
    Json peersJson() const;

    // mesh_discovery.cpp: [Discovery]
    void syncDiscovery();
    void applyDiscovered();
    void reportShadowed();
    Json discoveryJson() const;

    Clock clock_;
    MeshSettings settings_;
    PeerRegistry registry_;
    EndpointRotation rotation_;
    PeerHealth health_;
    SessionWatchdog watchdog_;
    std::optional<Identity> identity_;
    bool started_ = false;  ///< start() succeeded once: a key file is never generated again
    Host* host_ = nullptr;  ///< borrowed from the core, from start() to stop()
    std::filesystem::path stateDirectory_;
    Host::TimerId timer_ = 0;
    std::optional<PrefixSet> published_;
    std::optional<unsigned> lastMtu_;
    std::unique_ptr<Discovery> discovery_;  ///< while [Discovery] Etcd=yes and a store exists
    bool standaloneWarned_ = false;
};

}  // namespace weft::mesh
