// Peers added over D-Bus: validated, and kept in /run/weft/wireguard-mesh/peers.json so a
// daemon restart keeps them (a reboot does not).
#pragma once

#include <filesystem>
#include <vector>

#include "mesh_config.hpp"
#include "weft/plugin.hpp"

namespace weft::mesh {

/// Builds a runtime peer from D-Bus arguments; throws BusError("InvalidArgument") naming the
/// argument that is wrong.
PeerSpec peerFromBus(const std::vector<BusValue>& args);

std::vector<PeerSpec> loadRuntimePeers(const std::filesystem::path& file);
void saveRuntimePeers(const std::filesystem::path& file, const std::vector<PeerSpec>& peers);

}  // namespace weft::mesh
