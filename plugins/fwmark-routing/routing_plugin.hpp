// fwmark-routing: steers traffic to a set of destinations into an interface with one nftables
// set per family, one mark, one ip rule per family and one routing table (KubeSpan's routing,
// made general), optionally only for chosen sources (the Calico host-traffic fix).
#pragma once

#include <map>
#include <string>

#include "routing_settings.hpp"
#include "set_resolver.hpp"
#include "weft/plugin.hpp"

namespace weft::steer {

class RoutingPlugin final : public Plugin {
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
    RoutingSettings settings_;
    SetResolver sets_;
    std::map<std::string, nft::ElementSet> kept_;  ///< by set name, from the last desiredState()
};

}  // namespace weft::steer
