// fwmark-routing: steers traffic to a set of destinations into an interface with one nftables
// set per family, one mark, one ip rule per family and one routing table (KubeSpan's routing,
// made general), optionally only for chosen sources (the Calico host-traffic fix).
#pragma once

#include "routing_config.hpp"
#include "weft/plugin.hpp"

namespace weft::steer {

class RoutingPlugin final : public Plugin {
  public:
    PluginInfo info() const override {
        return {"fwmark-routing", "0.1.0", "",
                "steer destination sets into an interface by fwmark"};
    }
    Schema schema() const override { return routingSchema(); }
    void validate(const Config& config) const override { readRoutingSettings(config); }
    Lease lease(const Config& config) const override;
    void configure(const Config& config) override { settings_ = readRoutingSettings(config); }
    void start(Host& host) override { host_ = &host; }
    DesiredState desiredState() override;
    std::string describe() const override;

  private:
    PrefixSet resolve(const std::vector<PrefixOrSet>& items) const;
    RoutingSettings settings_;
    Host* host_ = nullptr;
};

}  // namespace weft::steer
