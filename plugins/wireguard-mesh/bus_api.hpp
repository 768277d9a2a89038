// wireguard-mesh's own D-Bus interface, org.weft.Weft1.WireguardMesh, on the plugin's object.
//
// Properties: PublicKey (s), ListenPort (u), Interface (s), Peers (aa{ss}).
// Methods (root only): AddPeer(s name, s publicKey, as endpoints, as allowedIps,
// u persistentKeepaliveSeconds), UpdatePeer(same), RemovePeer(s name).
// Signal: PeerStateChanged(s name, s state).
#pragma once

#include <vector>

#include "peer_registry.hpp"
#include "weft/plugin.hpp"

namespace weft::mesh {

class MeshPlugin;

/// Registers every member; call from MeshPlugin::start().
void registerBusApi(BusObject& bus, MeshPlugin& plugin);

/// The arguments of AddPeer/UpdatePeer; BusError("InvalidArgument") on a wrong count or type.
PeerArgs peerArgsFromBus(const std::vector<BusValue>& args);

}  // namespace weft::mesh
