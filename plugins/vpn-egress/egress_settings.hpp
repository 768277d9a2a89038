// vpn-egress: the validated settings of a parsed vpn-egress.conf.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "weft/config.hpp"
#include "weft/state.hpp"

namespace weft::egress {

/// One HealthCheck= entry.
struct HealthCheck {
    enum class Kind { Handshake, Icmp, Tcp, Dns } kind = Kind::Handshake;
    Address address;
    uint16_t port = 0;
    std::string text;  ///< as written, for status
    bool operator==(const HealthCheck&) const = default;
};

/// One [Gateway NAME]. `mark`, `table` and `priority` follow from its place in the config.
struct Gateway {
    std::string name;
    std::string interface;
    bool managed = false;  ///< weft creates the WireGuard link (PrivateKeyFile= given)
    std::filesystem::path keyFile;
    std::vector<InterfaceAddress> addresses;
    std::string peerPublicKey;
    std::optional<Endpoint> peerEndpoint;
    unsigned mtu = 1420;
    uint32_t weight = 1;
    std::vector<HealthCheck> checks;
    std::chrono::milliseconds interval{1000};
    unsigned failAfter = 3, recoverAfter = 3;
    uint32_t mark = 0;  ///< value under Settings::mark.mask
    uint32_t table = 0;
    uint32_t priority = 0;
    bool operator==(const Gateway&) const = default;
};

struct PortForward {
    std::string name;
    std::string gateway;
    uint8_t protocol = 6;
    uint16_t port = 0;  ///< the provider's port, as configured
    Endpoint to;
    bool operator==(const PortForward&) const = default;
};

struct Settings {
    std::vector<Prefix> clientPrefixes;
    std::vector<std::string> clientSets;  ///< "plugin/set", without '@'
    std::vector<std::string> clientInterfaces;
    std::vector<Prefix> exclude;
    bool killSwitch = true;
    uint32_t buckets = 256;
    uint32_t seed = 0x5eed;
    std::optional<Address> dns;
    Mark mark{0x00ff0000, 0x00ff0000};
    uint32_t table = 1100;
    uint32_t priority = 7100;
    std::vector<Gateway> gateways;  ///< in config order
    std::vector<PortForward> forwards;
    bool operator==(const Settings&) const = default;

    const Gateway* gateway(const std::string& name) const;
};

/// Reads and cross-checks vpn-egress.conf; throws ConfigException with every error found,
/// each at its file:line and key (a key file readable by others, a mark mask too small for the
/// gateways, a health check that does not parse, a port forward to an unknown gateway, ...).
Settings readSettings(const Config& config);

/// The gateway's private key from its file; throws std::runtime_error naming the file.
std::string readPrivateKey(const std::filesystem::path& file);

}  // namespace weft::egress
