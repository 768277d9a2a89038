#include "mesh_config.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "key_file.hpp"

namespace weft::mesh {

using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

KeySpec key(std::string name, ValueType type, std::optional<std::string> def, std::string help,
            bool repeated = false) {
    KeySpec k{std::move(name), type, repeated};
    k.defaultValue = std::move(def);
    k.help = std::move(help);
    return k;
}

SectionSpec meshSection() {
    KeySpec backend =
        key("Backend", ValueType::Enum, "auto",
            "kernel, userspace (wireguard-go) or auto (kernel when it has WireGuard)");
    backend.choices = {"auto", "kernel", "userspace"};
    return SectionSpec{
        "Mesh",
        false,
        {key("Interface", ValueType::Name, "weft0", "the WireGuard link this plugin owns"),
         key("ListenPort", ValueType::Port, "51820", "UDP port WireGuard listens on"),
         key("FirewallMark", ValueType::Mark, "0x51820",
             "mark WireGuard sets on its own UDP packets (0 = none)"),
         key("MTU", ValueType::String, "1420",
             "1280-9000, or auto: the underlay link's MTU minus 80"),
         key("Address", ValueType::String, {},
             "this node's mesh address with prefix length, e.g. 10.99.0.1/24", true),
         key("AdvertisedPrefixes", ValueType::Prefix, {}, "what this node routes (informational)",
             true),
         key("PersistentKeepalive", ValueType::Duration, "25s", "default keepalive of peers"),
         key("EndpointFilter", ValueType::String, {},
             "peer endpoints must lie in one of these prefixes and in none after '!'", true),
         key("PeerDownAfter", ValueType::Duration, "275s",
             "a peer whose last handshake is older than this is down"),
         key("EndpointTimeout", ValueType::Duration, "15s",
             "no handshake within this time on an endpoint: try the peer's next one"),
         key("AllowDownPeerBypass", ValueType::Bool, "no",
             "a down peer's AllowedIPs leave the targets set until it is up again"),
         backend,
         key("WireguardGo", ValueType::Path, "/usr/bin/wireguard-go",
             "the userspace implementation"),
         key("PrivateKeyFile", ValueType::Path, {},
             "use this private key instead of the generated one")},
        "this node"};
}

SectionSpec peerSection() {
    KeySpec publicKey = key("PublicKey", ValueType::Key, {}, "the peer's public key");
    publicKey.required = true;
    return SectionSpec{
        "Peer",
        true,
        {publicKey, key("PresharedKeyFile", ValueType::Path, {}, "file holding a preshared key"),
         key("Endpoint", ValueType::Endpoint, {}, "candidate endpoint host:port, tried in order",
             true),
         key("AllowedIPs", ValueType::Prefix, {}, "prefixes routed to and accepted from the peer",
             true),
         key("PersistentKeepalive", ValueType::Duration, {}, "overrides [Mesh]")},
        "one remote node; the section name is the peer's name"};
}

SectionSpec discoverySection() {
    return SectionSpec{
        "Discovery",
        false,
        {key("Etcd", ValueType::Bool, "no",
             "publish this node in the cluster store (weftd.conf [Cluster]) and make every "
             "other node published there a peer"),
         key("Endpoints", ValueType::Endpoint, {},
             "the endpoints to publish; default: this node's global addresses with ListenPort=",
             true)},
        "peers from the cluster store"};
}

ConfigError errorAt(const Section& s, const Setting& setting, const std::string& key,
                    const std::string& reason) {
    return ConfigError{setting.where, s.id.empty() ? s.name : s.name + " " + s.id, key, reason};
}

std::optional<unsigned> readMtu(const Section& m, std::vector<ConfigError>& errors) {
    std::string text = m.str("MTU", "1420");
    if (text == "auto")
        return std::nullopt;
    bool digits = !text.empty() && text.size() <= 5 &&
                  text.find_first_not_of("0123456789") == std::string::npos;
    unsigned value = digits ? unsigned(std::stoul(text)) : 0;
    if (value >= 1280 && value <= 9000)
        return value;
    errors.push_back(m.error("MTU", "'" + text + "' is neither an MTU in 1280-9000 nor 'auto'"));
    return 1420;
}

/// WireGuard keeps keepalive intervals in whole seconds, at most 65535.
seconds readKeepalive(const Section& s, std::vector<ConfigError>& errors) {
    milliseconds ms = s.duration("PersistentKeepalive");
    if (ms.count() % 1000 != 0 || ms > seconds(65535)) {
        errors.push_back(
            s.error("PersistentKeepalive", "must be whole seconds between 0 and 65535"));
    }
    return std::chrono::duration_cast<seconds>(ms);
}

void readAddresses(const Section& m, MeshSettings& s, std::vector<ConfigError>& errors) {
    for (const Setting* a : m.all("Address")) {
        // A bare address would parse as a host prefix (/32, /128) and drop the mesh's connected
        // route: the length is required.
        auto address = a->text.find('/') == std::string::npos ? std::nullopt
                                                              : InterfaceAddress::parse(a->text);
        if (!address) {
            errors.push_back(errorAt(m, *a, "Address",
                                     "'" + a->text +
                                         "' is not an address with a prefix length "
                                         "(e.g. 10.99.0.1/24)"));
        } else {
            s.addresses.push_back(*address);
        }
    }
}

/// "0.0.0.0/0 !192.168.0.0/16": the core cannot type-check '!', so the words are ours.
EndpointFilter readEndpointFilter(const Section& m, std::vector<ConfigError>& errors) {
    EndpointFilter f;
    for (const Setting* s : m.all("EndpointFilter")) {
        std::istringstream words(s->text);
        std::string word;
        while (words >> word) {
            bool exclude = word[0] == '!';
            std::string text = exclude ? word.substr(1) : word;
            if (auto p = Prefix::parse(text)) {
                (exclude ? f.exclude : f.include).push_back(*p);
                continue;
            }
            std::string why = "'" + word + "' is not an IP prefix (or '!' and a prefix)";
            if (auto loose = Prefix::parseLoose(text))
                why = "'" + word + "' has host bits set; did you mean " + loose->str() + "?";
            errors.push_back(errorAt(m, *s, "EndpointFilter", why));
        }
    }
    return f;
}

/// A duration within [min, max]: the health clock compares against nanosecond time points,
/// which a huge value (20000w) overflows, turning live peers "down".
milliseconds bounded(const Section& m, const std::string& key, milliseconds min, milliseconds max,
                     const std::string& range, std::vector<ConfigError>& errors) {
    milliseconds d = m.duration(key);
    if (d < min || d > max) {
        errors.push_back(m.error(key, "must be between " + range));
        return std::clamp(d, min, max);
    }
    return d;
}

void readMesh(const Section& m, MeshSettings& s, std::vector<ConfigError>& errors) {
    s.interface = m.str("Interface", "weft0");
    if (s.interface.size() > 15)
        errors.push_back(m.error("Interface", "a link name has at most 15 characters"));
    auto ports = m.portRanges("ListenPort");
    s.listenPort = ports.empty() ? 51820 : ports.front().first;
    Mark mark = m.mark("FirewallMark").value_or(Mark{0x51820});
    if (mark.mask != 0xffffffff) {
        errors.push_back(m.error(
            "FirewallMark", "WireGuard sets the whole mark word; give a value without a mask"));
    }
    s.firewallMark = mark.value;
    s.mtu = readMtu(m, errors);
    readAddresses(m, s, errors);
    s.advertised = m.prefixes("AdvertisedPrefixes");
    s.keepalive = readKeepalive(m, errors);
    s.endpointFilter = readEndpointFilter(m, errors);
    s.peerDownAfter =
        bounded(m, "PeerDownAfter", seconds(1), std::chrono::days(7), "1s and 7d (1w)", errors);
    s.endpointTimeout =
        bounded(m, "EndpointTimeout", seconds(1), std::chrono::hours(1), "1s and 1h", errors);
    s.allowDownPeerBypass = m.boolean("AllowDownPeerBypass");
    std::string backend = m.str("Backend", "auto");
    s.backend = backend == "kernel"      ? WireguardBackend::Kernel
                : backend == "userspace" ? WireguardBackend::Userspace
                                         : WireguardBackend::Auto;
    s.wireguardGo = m.str("WireguardGo", "/usr/bin/wireguard-go");
    s.privateKeyFile = m.str("PrivateKeyFile");
    if (!s.privateKeyFile.empty()) {
        if (auto why = privateKeyFileProblem(s.privateKeyFile))
            errors.push_back(m.error("PrivateKeyFile", *why + " (this file is never generated)"));
    }
}

PeerSpec readPeer(const Section& p, std::vector<ConfigError>& errors) {
    PeerSpec peer;
    peer.name = p.id;
    peer.publicKey = p.str("PublicKey");
    if (const Setting* k = p.find("PublicKey"))
        peer.where = k->where;
    else
        peer.where = p.where;
    peer.presharedKeyFile = p.str("PresharedKeyFile");
    if (!peer.presharedKeyFile.empty()) {
        if (auto why = keyFileProblem(peer.presharedKeyFile))
            errors.push_back(p.error("PresharedKeyFile", *why));
    }
    peer.endpoints = p.endpoints("Endpoint");
    peer.allowedIps = p.prefixes("AllowedIPs");
    if (p.has("PersistentKeepalive"))
        peer.keepalive = readKeepalive(p, errors);
    return peer;
}

/// Two peers with one key are one WireGuard peer; one prefix on two peers is routed to
/// whichever was configured last. Both are mistakes worth refusing.
void checkUnique(const std::vector<const Section*>& sections, const std::vector<PeerSpec>& peers,
                 std::vector<ConfigError>& errors) {
    std::map<std::string, std::string> keyOwner;
    std::map<Prefix, std::string> prefixOwner;
    for (size_t i = 0; i < peers.size(); ++i) {
        auto [k, fresh] = keyOwner.emplace(peers[i].publicKey, peers[i].name);
        if (!fresh) {
            errors.push_back(
                sections[i]->error("PublicKey", "this key is already used by peer " + k->second));
        }
        for (const Setting* a : sections[i]->all("AllowedIPs")) {
            auto prefix = std::get<Prefix>(a->value);
            auto [o, added] = prefixOwner.emplace(prefix, peers[i].name);
            if (!added && o->second != peers[i].name) {
                errors.push_back(errorAt(*sections[i], *a, "AllowedIPs",
                                         prefix.str() + " is already routed to peer " + o->second));
            }
        }
    }
}

}  // namespace

bool EndpointFilter::allows(const Address& a) const {
    auto inside = [&](const Prefix& p) { return p.contains(a); };
    if (std::any_of(exclude.begin(), exclude.end(), inside))
        return false;
    return include.empty() || std::any_of(include.begin(), include.end(), inside);
}

std::vector<std::string> EndpointFilter::strs() const {
    std::vector<std::string> out;
    for (auto& p : include)
        out.push_back(p.str());
    for (auto& p : exclude)
        out.push_back("!" + p.str());
    return out;
}

const char* sourceName(PeerSource source) {
    switch (source) {
        case PeerSource::Config:
            return "config";
        case PeerSource::Runtime:
            return "runtime";
        case PeerSource::Discovery:
            return "discovery";
    }
    return "config";
}

Schema meshSchema() {
    return Schema{{meshSection(), peerSection(), discoverySection()}};
}

MeshSettings readSettings(const Config& config, std::vector<ConfigError>& errors) {
    MeshSettings s;
    if (const Section* m = config.section("Mesh"))
        readMesh(*m, s, errors);
    auto sections = config.named("Peer");
    for (const Section* p : sections)
        s.peers.push_back(readPeer(*p, errors));
    checkUnique(sections, s.peers, errors);
    if (const Section* d = config.section("Discovery")) {
        s.discovery.etcd = d->boolean("Etcd");
        s.discovery.endpoints = d->endpoints("Endpoints");
    }
    return s;
}

MeshSettings readSettings(const Config& config) {
    std::vector<ConfigError> errors;
    MeshSettings s = readSettings(config, errors);
    if (!errors.empty())
        throw ConfigException(std::move(errors));
    return s;
}

}  // namespace weft::mesh
