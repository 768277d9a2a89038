// From settings, identity and peers to the kernel state this plugin wants: one WireGuard link
// and one nftables table that clamps TCP MSS into the tunnel; and the targets set.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "identity.hpp"
#include "mesh_config.hpp"
#include "weft/prefix.hpp"
#include "weft/state.hpp"

namespace weft::mesh {

/// The MTU of the underlay that carries the tunnel to `endpoints` (the peers' current ones),
/// from the link view: when every endpoint lies in a subnet of an up link, the lowest MTU of
/// those links; otherwise the lowest MTU of every up link that is not loopback, `interface`
/// or a tunnel (wg*, tun*, gre*, vxlan*, ...). 0 when there is no such link.
///
/// The link view has no routes, so the link of a default route cannot be told apart: it is
/// among the links of the second rule.
unsigned underlayMtu(const std::vector<LinkInfo>& links, const std::string& interface,
                     const std::vector<Endpoint>& endpoints);

/// The link's MTU: the configured one, or for MTU=auto underlayMtu() minus 80 (WireGuard's
/// overhead over IPv6), at least 1280 (IPv6's minimum); 1420 without an underlay link.
unsigned linkMtu(std::optional<unsigned> configured, const std::vector<LinkInfo>& links,
                 const std::string& interface, const std::vector<Endpoint>& endpoints);

/// One peer as WireGuard gets it. Reads the preshared key file (std::runtime_error naming it
/// when it became unreadable since validation).
WireguardPeer wireguardPeer(const PeerSpec& peer, std::optional<Endpoint> endpoint,
                            std::chrono::seconds defaultKeepalive);

/// The link without peers.
WireguardLink wireguardLink(const MeshSettings& settings, const Identity& identity, unsigned mtu);

/// inet weft_wireguard_mesh: chains forward and output (filter, priority -150), each clamping
/// the MSS of TCP SYNs leaving through `interface` to the route's MTU.
nft::Table mssClampTable(const std::string& interface);

/// The union of the AllowedIPs of every peer `bypassed` does not exclude.
PrefixSet targetSet(const std::vector<PeerSpec>& peers,
                    const std::function<bool(const PeerSpec&)>& bypassed);

}  // namespace weft::mesh
