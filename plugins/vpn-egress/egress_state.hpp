// vpn-egress: settings + bucket owners + gateway health -> the desired kernel state.
#pragma once

#include <map>
#include <set>
#include <string>

#include "bucket_owners.hpp"
#include "egress_settings.hpp"
#include "weft/state.hpp"

namespace weft::egress {

inline constexpr const char* kTable = "weft_vpn_egress";

/// What the desired state is built from, besides the settings.
struct EgressInputs {
    const Settings* settings = nullptr;
    const BucketOwners* owners = nullptr;
    std::set<std::string> healthy;                 ///< gateway names that are up
    std::map<std::string, uint16_t> forwardPorts;  ///< port forward name -> provider port now
    std::map<std::string, std::string> keys;       ///< managed gateway name -> private key
    PrefixSet clientSets;                          ///< the resolved @sets of Clients=
    std::set<std::string> links;                   ///< interfaces that exist and are up now
};

/// The addresses clients reach through the tunnels: everything minus Exclude=, loopback,
/// link-local, multicast and the unspecified/broadcast addresses (IPv4 and IPv6).
PrefixSet egressDestinations(const std::vector<Prefix>& exclude);

/// The whole desired state: one inet table, and per gateway an ip rule and a default route per
/// family (for a gateway whose interface is up, or that weft creates), and the WireGuard links
/// weft owns.
DesiredState egressState(const EgressInputs& in);

/// Sysctls the router needs (forwarding, loose reverse path for replies from the tunnels).
std::vector<Sysctl> egressSysctls();

}  // namespace weft::egress
