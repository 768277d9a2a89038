#include "mesh_config.hpp"

#include <fstream>
#include <set>

#include "weft/wireguard_key.hpp"

namespace weft::mesh {

namespace {

KeySpec key(std::string name, ValueType type, std::optional<std::string> def = {},
            bool repeated = false, std::string help = {}) {
    KeySpec k{std::move(name), type, repeated};
    k.defaultValue = std::move(def);
    k.help = std::move(help);
    return k;
}

}  // namespace

Schema meshSchema() {
    KeySpec backend = key("Backend", ValueType::Enum, "auto", false, "kernel, userspace or auto");
    backend.choices = {"auto", "kernel", "userspace"};
    KeySpec peerKey = key("PublicKey", ValueType::Key, {}, false, "the peer's public key");
    peerKey.required = true;
    return Schema{{
        SectionSpec{
            "Mesh",
            false,
            {key("Interface", ValueType::Name, "weft0"),
             key("ListenPort", ValueType::Port, "51820"),
             key("FirewallMark", ValueType::Mark, "0x51820", false,
                 "mark on WireGuard's own packets"),
             key("MTU", ValueType::String, "1420", false, "1280-9000, or auto (underlay MTU - 80)"),
             key("Address", ValueType::String, {}, true,
                 "this node's mesh addresses, e.g. 10.99.0.1/24"),
             key("AdvertisedPrefixes", ValueType::Prefix, {}, true, "what this node routes"),
             key("PersistentKeepalive", ValueType::Duration, "25s"),
             key("EndpointFilter", ValueType::Prefix, {}, true,
                 "endpoints must fall in one of these"),
             key("PeerDownAfter", ValueType::Duration, "275s", false,
                 "handshake age after which a peer is down"),
             key("EndpointTimeout", ValueType::Duration, "15s", false,
                 "no handshake within this time: try the peer's next endpoint"),
             key("AllowDownPeerBypass", ValueType::Bool, "no"), backend,
             key("WireguardGo", ValueType::Path, "/usr/bin/wireguard-go"),
             key("PrivateKeyFile", ValueType::Path)},
            "this node"},
        SectionSpec{"Peer",
                    true,
                    {peerKey, key("PresharedKeyFile", ValueType::Path),
                     key("Endpoint", ValueType::Endpoint, {}, true),
                     key("AllowedIPs", ValueType::Prefix, {}, true),
                     key("PersistentKeepalive", ValueType::Duration)},
                    "one remote node"},
    }};
}

static std::optional<unsigned> parseMtu(const Section& m, std::vector<ConfigError>& errors) {
    std::string text = m.str("MTU", "1420");
    if (text == "auto")
        return std::nullopt;
    try {
        size_t used = 0;
        unsigned v = unsigned(std::stoul(text, &used));
        if (used == text.size() && v >= 1280 && v <= 9000)
            return v;
    } catch (const std::exception&) {
    }
    errors.push_back(m.error("MTU", "'" + text + "' is not an MTU (1280-9000) or auto"));
    return 1420;
}

MeshSettings readSettings(const Config& config) {
    MeshSettings s;
    std::vector<ConfigError> errors;
    const Section& m = *config.section("Mesh");
    s.interface = m.str("Interface");
    s.listenPort = m.portRanges("ListenPort").front().first;
    s.firewallMark = m.mark("FirewallMark")->value;
    s.mtu = parseMtu(m, errors);
    for (auto* a : m.all("Address")) {
        auto ia = InterfaceAddress::parse(a->text);
        if (!ia)
            errors.push_back(ConfigError{a->where, "Mesh", "Address",
                                         "'" + a->text + "' is not an address with prefix length"});
        else
            s.addresses.push_back(*ia);
    }
    s.advertised = m.prefixes("AdvertisedPrefixes");
    s.keepalive =
        std::chrono::duration_cast<std::chrono::seconds>(m.duration("PersistentKeepalive"));
    s.endpointFilter = m.prefixes("EndpointFilter");
    s.peerDownAfter = m.duration("PeerDownAfter");
    s.endpointTimeout = m.duration("EndpointTimeout");
    s.allowDownPeerBypass = m.boolean("AllowDownPeerBypass");
    std::string b = m.str("Backend");
    s.backend = b == "kernel"      ? WireguardBackend::Kernel
                : b == "userspace" ? WireguardBackend::Userspace
                                   : WireguardBackend::Auto;
    s.wireguardGo = m.str("WireguardGo");
    s.privateKeyFile = m.str("PrivateKeyFile");
    if (!s.privateKeyFile.empty()) {
        std::ifstream in(s.privateKeyFile);
        std::string k;
        if (!in || !std::getline(in, k) || !wg::isValidKey(k)) {
            errors.push_back(m.error(
                "PrivateKeyFile", "cannot read a WireGuard private key from " + s.privateKeyFile));
        }
    }
    std::set<std::string> keys;
    for (auto* p : config.named("Peer")) {
        PeerSpec peer;
        peer.name = p->id;
        peer.publicKey = p->str("PublicKey");
        if (!keys.insert(peer.publicKey).second) {
            errors.push_back(p->error("PublicKey", "public key is used by another peer"));
        }
        peer.presharedKeyFile = p->str("PresharedKeyFile");
        if (!peer.presharedKeyFile.empty()) {
            std::ifstream in(peer.presharedKeyFile);
            std::string k;
            if (!in || !std::getline(in, k) || !wg::isValidKey(k)) {
                errors.push_back(p->error("PresharedKeyFile",
                                          "cannot read a key from " + peer.presharedKeyFile));
            }
        }
        peer.endpoints = p->endpoints("Endpoint");
        peer.allowedIps = p->prefixes("AllowedIPs");
        if (p->has("PersistentKeepalive")) {
            peer.keepalive = std::chrono::duration_cast<std::chrono::seconds>(
                p->duration("PersistentKeepalive"));
        }
        s.peers.push_back(peer);
    }
    if (!errors.empty())
        throw ConfigException(errors);
    return s;
}

}  // namespace weft::mesh
