// wireguard-mesh.conf: the schema, and the validated settings read from it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "weft/config.hpp"
#include "weft/state.hpp"

namespace weft::mesh {

struct PeerSpec {
    std::string name;
    std::string publicKey;
    std::string presharedKeyFile;  ///< empty: none
    std::vector<Endpoint> endpoints;
    std::vector<Prefix> allowedIps;
    std::optional<std::chrono::seconds> keepalive;
    bool runtime = false;  ///< added over D-Bus, not from the config file
};

struct MeshSettings {
    std::string interface = "weft0";
    uint16_t listenPort = 51820;
    uint32_t firewallMark = 0x51820;
    std::optional<unsigned> mtu = 1420;  ///< nullopt: auto (underlay MTU - 80)
    std::vector<InterfaceAddress> addresses;
    std::vector<Prefix> advertised;
    std::chrono::seconds keepalive{25};
    std::vector<Prefix> endpointFilter;
    std::chrono::milliseconds peerDownAfter{275000};
    std::chrono::milliseconds endpointTimeout{15000};
    bool allowDownPeerBypass = false;
    WireguardBackend backend = WireguardBackend::Auto;
    std::string wireguardGo = "/usr/bin/wireguard-go";
    std::string privateKeyFile;  ///< empty: <state dir>/private.key, generated on first start
    std::vector<PeerSpec> peers;
};

Schema meshSchema();
/// Reads and checks the settings; throws ConfigException listing every error.
MeshSettings readSettings(const Config& config);

}  // namespace weft::mesh
