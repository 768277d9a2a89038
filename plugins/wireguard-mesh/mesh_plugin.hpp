// wireguard-mesh: a KubeSpan-style WireGuard full mesh. Owns one WireGuard link and its
// peers, and publishes the prefixes reachable through the mesh as "wireguard-mesh/targets".
#pragma once

#include <memory>
#include <optional>

#include "mesh_config.hpp"
#include "peer_tracker.hpp"
#include "weft/plugin.hpp"

namespace weft::mesh {

class MeshPlugin final : public Plugin {
  public:
    MeshPlugin();
    explicit MeshPlugin(Clock clock);  ///< tests inject time

    PluginInfo info() const override;
    Schema schema() const override { return meshSchema(); }
    void validate(const Config& config) const override { readSettings(config); }
    Lease lease(const Config& config) const override;
    void configure(const Config& config) override;
    void start(Host& host) override;
    DesiredState desiredState() override;
    std::string describe() const override;
    void stop() override;

    /// Polls WireGuard, updates health and endpoints (a timer calls it every second).
    void tick();
    const std::string& publicKey() const { return publicKey_; }

  private:
    std::vector<PeerSpec> allPeers() const;
    MeshSettings effective() const;  ///< settings with runtime peers added
    PrefixSet targets() const;
    void publishTargets();
    std::vector<std::map<std::string, std::string>> peerRows();
    void registerBus(BusObject& bus);
    std::vector<BusValue> addOrUpdate(const std::vector<BusValue>& args, bool update);
    std::vector<BusValue> removePeer(const std::vector<BusValue>& args);
    unsigned mtu() const;

    Clock clock_;
    MeshSettings settings_;
    std::vector<PeerSpec> runtimePeers_;
    Host* host_ = nullptr;
    Host::TimerId timer_ = 0;
    std::string privateKey_, publicKey_;
    std::unique_ptr<PeerTracker> tracker_;
};

}  // namespace weft::mesh
