#include "desired_state.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "key_file.hpp"

namespace weft::mesh {

namespace {

/// Tunnels carry the mesh's packets inside other packets: never an underlay. The SDK's link
/// view has no link kind, so this goes by the kernel's and the usual tools' names.
bool tunnelName(const std::string& name) {
    static const char* const prefixes[] = {"wg",   "tun",   "tap",    "gre",    "gretap", "erspan",
                                           "ipip", "sit",   "ip6tnl", "ip6gre", "ip_vti", "ip6_vti",
                                           "vti",  "vxlan", "geneve", "weft"};
    return std::any_of(std::begin(prefixes), std::end(prefixes),
                       [&](const char* p) { return name.rfind(p, 0) == 0; });
}

bool onLink(const LinkInfo& link, const Address& a) {
    return std::any_of(link.addresses.begin(), link.addresses.end(), [&](auto& ia) {
        return ia.address.family == a.family &&
               Prefix::make(ia.address, ia.prefixLength).contains(a);
    });
}

}  // namespace

unsigned underlayMtu(const std::vector<LinkInfo>& links, const std::string& interface,
                     const std::vector<Endpoint>& endpoints) {
    std::vector<const LinkInfo*> underlay;
    for (auto& l : links) {
        if (l.up && l.mtu != 0 && l.name != "lo" && l.name != interface && !tunnelName(l.name))
            underlay.push_back(&l);
    }
    unsigned lowest = 0, endpointLinks = 0;
    bool allOnLink = !endpoints.empty();
    for (auto& e : endpoints) {
        auto link = std::find_if(underlay.begin(), underlay.end(),
                                 [&](const LinkInfo* l) { return onLink(*l, e.address); });
        if (link == underlay.end()) {
            allOnLink = false;
            break;
        }
        endpointLinks = endpointLinks == 0 ? (*link)->mtu : std::min(endpointLinks, (*link)->mtu);
    }
    if (allOnLink)
        return endpointLinks;
    for (auto* l : underlay)
        lowest = lowest == 0 ? l->mtu : std::min(lowest, l->mtu);
    return lowest;
}

unsigned linkMtu(std::optional<unsigned> configured, const std::vector<LinkInfo>& links,
                 const std::string& interface, const std::vector<Endpoint>& endpoints) {
    if (configured)
        return *configured;
    unsigned underlay = underlayMtu(links, interface, endpoints);
    if (underlay == 0)
        return 1420;
    return underlay >= 1280 + 80 ? underlay - 80 : 1280;
}

WireguardPeer wireguardPeer(const PeerSpec& peer, std::optional<Endpoint> endpoint,
                            std::chrono::seconds defaultKeepalive) {
    WireguardPeer w;
    w.publicKey = peer.publicKey;
    if (!peer.presharedKeyFile.empty()) {
        try {
            w.presharedKey = readKeyFile(peer.presharedKeyFile);
        } catch (const std::exception& e) {
            throw std::runtime_error("peer " + peer.name + ": preshared key: " + e.what());
        }
    }
    w.endpoint = endpoint;
    w.allowedIps = peer.allowedIps;
    w.persistentKeepalive = peer.keepalive.value_or(defaultKeepalive);
    return w;
}

WireguardLink wireguardLink(const MeshSettings& settings, const Identity& identity, unsigned mtu) {
    WireguardLink link;
    link.name = settings.interface;
    link.backend = settings.backend;
    link.wireguardGo = settings.wireguardGo;
    link.privateKey = identity.privateKey;
    link.listenPort = settings.listenPort;
    link.fwmark = settings.firewallMark;
    link.mtu = mtu;
    link.addresses = settings.addresses;
    return link;
}

nft::Table mssClampTable(const std::string& interface) {
    nft::Table table{nft::TableFamily::Inet, kTableName, {}, {}};
    // Forwarded and local TCP both meet a smaller MTU in the tunnel than on the underlay;
    // without clamping, peers behind PMTU-blackholing paths stall after the handshake.
    for (auto [name, hook] :
         {std::pair{"forward", nft::Hook::Forward}, std::pair{"output", nft::Hook::Output}}) {
        nft::Chain chain{name, nft::BaseChain{nft::ChainType::Filter, hook, -150}, {}};
        chain.rules.push_back(nft::Rule{}
                                  .oif(interface)
                                  .l4proto(6)
                                  .add(nft::ClampMss{})
                                  .withComment("clamp TCP MSS into " + interface));
        table.chains.push_back(std::move(chain));
    }
    return table;
}

PrefixSet targetSet(const std::vector<PeerSpec>& peers,
                    const std::function<bool(const PeerSpec&)>& bypassed) {
    std::vector<Prefix> all;
    for (auto& p : peers) {
        if (!bypassed(p))
            all.insert(all.end(), p.allowedIps.begin(), p.allowedIps.end());
    }
    return PrefixSet(all);
}

}  // namespace weft::mesh
