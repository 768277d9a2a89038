#include "wg_diff.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace weft::kernel::wg {
namespace {

// Allowed IPs are a set: order and repeats do not matter to the device.
std::vector<Prefix> canonicalIps(std::vector<Prefix> ips) {
    std::sort(ips.begin(), ips.end());
    ips.erase(std::unique(ips.begin(), ips.end()), ips.end());
    return ips;
}

PeerChange newPeer(const WireguardPeer& want) {
    PeerChange c;
    c.publicKey = want.publicKey;
    if (!want.presharedKey.empty())
        c.presharedKey = want.presharedKey;
    c.endpoint = want.endpoint;
    if (want.persistentKeepalive.count() != 0)
        c.keepalive = want.persistentKeepalive;
    c.replaceAllowedIps = true;
    c.allowedIps = canonicalIps(want.allowedIps);
    return c;
}

std::optional<PeerChange> changedPeer(const DeviceState::Peer& have, const WireguardPeer& want) {
    PeerChange c;
    c.publicKey = want.publicKey;
    c.updateOnly = true;
    if (have.presharedKey != want.presharedKey)
        c.presharedKey = want.presharedKey;
    if (want.endpoint && have.endpoint != want.endpoint)
        c.endpoint = want.endpoint;
    if (have.keepalive != want.persistentKeepalive)
        c.keepalive = want.persistentKeepalive;
    auto ips = canonicalIps(want.allowedIps);
    if (canonicalIps(have.allowedIps) != ips) {
        c.replaceAllowedIps = true;
        c.allowedIps = std::move(ips);
    }
    bool same = !c.presharedKey && !c.endpoint && !c.keepalive && !c.replaceAllowedIps;
    return same ? std::nullopt : std::optional(std::move(c));
}

}  // namespace

DeviceChange diffDevice(const DeviceState& have, const WireguardLink& want) {
    DeviceChange c;
    if (have.privateKey != want.privateKey)
        c.privateKey = want.privateKey;
    // 0 asks for any port: the one the device picked stays (setting 0 again would make it
    // rebind to a new random port on every reconcile).
    if (want.listenPort != 0 && have.listenPort != want.listenPort)
        c.listenPort = want.listenPort;
    if (have.fwmark != want.fwmark)
        c.fwmark = want.fwmark;

    std::map<std::string, const DeviceState::Peer*> current;
    for (auto& p : have.peers)
        current[p.publicKey] = &p;
    std::set<std::string> wanted;
    for (auto& w : want.peers) {
        const std::string& key = w.publicKey;
        if (!wanted.insert(key).second)
            continue;
        auto it = current.find(key);
        if (it == current.end())
            c.peers.push_back(newPeer(w));
        else if (auto changed = changedPeer(*it->second, w))
            c.peers.push_back(std::move(*changed));
    }
    for (auto& [key, p] : current) {
        if (!wanted.count(key))
            c.removePeers.push_back(key);
    }
    return c;
}

DeviceChange sessionRestart(const DeviceState::Peer& peer) {
    DeviceChange c;
    c.removePeers.push_back(peer.publicKey);
    // Added again as a new peer wanting exactly what it has now.
    c.peers.push_back(newPeer(WireguardPeer{peer.publicKey, peer.presharedKey, peer.endpoint,
                                            peer.allowedIps, peer.keepalive}));
    return c;
}

}  // namespace weft::kernel::wg
