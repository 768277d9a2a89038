// vpn-egress: clients' internet traffic out through N VPN gateways, sticky per flow, losing
// only a dead gateway's flows, with a kill switch and port forwarding (docs/plugins/vpn-egress.md).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bucket_owners.hpp"
#include "egress_settings.hpp"
#include "gateway_health.hpp"
#include "weft/plugin.hpp"

namespace weft::egress {

class EgressPlugin final : public Plugin {
  public:
    PluginInfo info() const override;
    Schema schema() const override;
    void validate(const Config& config) const override;
    Lease lease(const Config& config) const override;
    void configure(const Config& config) override;
    void start(Host& host) override;
    DesiredState desiredState() override;
    std::string describe() const override;
    void stop() override;

  private:
    struct Probe;  // one gateway's round of checks in flight
    void startTimers();
    void cancelTimers();
    void checkGateway(const std::string& name);
    void finishRound(const std::string& name, bool passed, const std::string& error);
    void onStateChange(const Gateway& g, GatewayHealth::State s);
    void rebalance();
    void tick();
    std::set<std::string> healthyNames() const;
    std::vector<std::map<std::string, std::string>> gatewayRows() const;
    void loadState();
    void saveState() const;
    void registerBus();

    Host* host_ = nullptr;
    Settings settings_;
    std::map<std::string, std::string> keys_;  ///< managed gateway -> private key
    BucketOwners owners_;
    std::map<std::string, GatewayHealth> health_;
    std::map<std::string, uint16_t> forwardPorts_;  ///< SetForwardedPort overrides
    std::map<std::string, Host::TimerId> timers_;   ///< gateway -> its check timer
    Host::TimerId tickTimer_ = 0;
    std::map<std::string, int> inFlight_;  ///< gateway -> probes of its round still out
    std::map<std::string, std::string> roundError_;
    std::set<uint32_t> flushMarks_;  ///< gateway marks whose flows go once the map changed
    uint64_t generation_ = 0, flushAfter_ = 0;  ///< desiredState() calls; flush after this one
};

}  // namespace weft::egress
