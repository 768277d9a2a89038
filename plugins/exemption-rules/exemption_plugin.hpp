// exemption-rules: lets chosen traffic (ports, peers, directions) bypass the mesh with
// weft-tagged ip rules, so a node that lost its key can still reach the control plane.
// nodecryptor, generalised: replies are matched by the node's own addresses (kept current),
// IPv6 works, and any peer group, protocol and port set can be exempted.
#pragma once

#include <string>
#include <vector>

#include "weft/plugin.hpp"

namespace weft::exempt {

constexpr uint32_t kPriorityFirst = 5000, kPriorityLast = 5099;

struct Exemption {
    std::string name;
    std::vector<PrefixOrSet> peers;
    std::vector<uint8_t> protocols;  ///< 6, 17
    std::vector<PortRange> ports, localPorts;
    uint32_t table = 254;
    uint32_t priority = kPriorityFirst;
};

/// The mark exempt flows carry. An nftables `route` chain re-routes a packet whose mark changed
/// with a flow that has no ports over IPv6 (ip6_route_me_harder), so after fwmark-routing marks
/// a packet, a dport/sport ip rule cannot catch it any more: we mark exempt flows too, later in
/// the output path, and look that mark up in main.
constexpr uint32_t kDefaultMark = 0x400000;

class ExemptionPlugin final : public Plugin {
  public:
    PluginInfo info() const override {
        return {"exemption-rules", "0.1.0", "", "let chosen traffic bypass the mesh"};
    }
    Schema schema() const override;
    void validate(const Config& config) const override { read(config); }
    Lease lease(const Config&) const override;
    void configure(const Config& config) override;
    void start(Host& host) override;
    DesiredState desiredState() override;
    std::string describe() const override;

    /// The node's own addresses that replies come from (every non-loopback, non-link-local one).
    std::vector<Address> localAddresses() const;

  private:
    std::vector<Exemption> read(const Config& config) const;
    std::vector<RoutingRule> rulesFor(const Exemption& e) const;
    PrefixSet peersOf(const Exemption& e) const;
    void addMarking(nft::Table& t, const Exemption& e) const;
    Host* host_ = nullptr;
    std::vector<Exemption> exemptions_;
    Mark mark_{kDefaultMark, kDefaultMark};
};

}  // namespace weft::exempt
