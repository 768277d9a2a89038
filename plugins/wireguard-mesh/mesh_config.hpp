// wireguard-mesh.conf: the schema, and the settings read from a Config the core has
// type-checked against it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "weft/config.hpp"
#include "weft/state.hpp"

namespace weft::mesh {

/// The nftables table this plugin owns (TCP MSS clamping into the tunnel).
inline constexpr const char* kTableName = "weft_wireguard_mesh";

/// Where a peer comes from; the first wins a clash (same name, key or AllowedIPs prefix).
enum class PeerSource { Config, Runtime, Discovery };
/// "config", "runtime", "discovery": the SOURCE column of `weftctl mesh`.
const char* sourceName(PeerSource source);

/// One remote node: a [Peer NAME] section, or a peer added over D-Bus.
struct PeerSpec {
    std::string name;
    std::string publicKey;                          ///< base64
    std::string presharedKeyFile;                   ///< empty: no preshared key
    std::vector<Endpoint> endpoints;                ///< candidates, tried in this order
    std::vector<Prefix> allowedIps;                 ///< what the peer may send and receive
    std::optional<std::chrono::seconds> keepalive;  ///< unset: [Mesh] PersistentKeepalive=
    PeerSource source = PeerSource::Config;
    Location where;  ///< the section's PublicKey= line (config peers), for messages
};

/// EndpointFilter=: which addresses may be peer endpoints. KubeSpan's syntax: prefixes, and
/// prefixes after '!' that are excluded. An exclusion wins whatever the order; without any
/// inclusion everything not excluded is allowed.
struct EndpointFilter {
    std::vector<Prefix> include;
    std::vector<Prefix> exclude;
    bool allows(const Address& a) const;
    /// As written: "192.0.2.0/24", "!192.168.0.0/16".
    std::vector<std::string> strs() const;
    bool operator==(const EndpointFilter&) const = default;
};

/// [Discovery]: peers from the other nodes' records in the cluster store.
struct DiscoverySettings {
    bool etcd = false;
    /// Endpoints= as written; empty: every global unicast address of this node's links.
    std::vector<Endpoint> endpoints;
    bool operator==(const DiscoverySettings&) const = default;
};

/// The [Mesh] section and the config peers, checked.
struct MeshSettings {
    std::string interface = "weft0";
    uint16_t listenPort = 51820;
    uint32_t firewallMark = 0x51820;
    std::optional<unsigned> mtu = 1420;  ///< nullopt: MTU=auto
    std::vector<InterfaceAddress> addresses;
    std::vector<Prefix> advertised;
    std::chrono::seconds keepalive{25};
    EndpointFilter endpointFilter;  ///< empty: every endpoint is usable
    std::chrono::milliseconds peerDownAfter{275000};
    std::chrono::milliseconds endpointTimeout{15000};
    bool allowDownPeerBypass = false;
    WireguardBackend backend = WireguardBackend::Auto;
    std::string wireguardGo = "/usr/bin/wireguard-go";
    std::string privateKeyFile;  ///< empty: <state directory>/private.key, generated
    std::vector<PeerSpec> peers;
    DiscoverySettings discovery;
};

Schema meshSchema();

/// Reads the settings, appending every semantic error (bad MTU or address, unreadable key
/// files, duplicate public keys or AllowedIPs, ...) to `errors`.
MeshSettings readSettings(const Config& config, std::vector<ConfigError>& errors);
/// Same; throws ConfigException when anything is wrong.
MeshSettings readSettings(const Config& config);

}  // namespace weft::mesh
