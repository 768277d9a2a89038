// Devices and peers for the WireGuard tests: deterministic keys, both address families.
#pragma once

#include <string>

#include "kernel/wireguard/wg_device.hpp"
#include "weft/state.hpp"
#include "weft/wireguard_key.hpp"

namespace wgtest {

using weft::Address;
using weft::Endpoint;
using weft::Family;
using weft::Prefix;

/// A distinct key per (i, salt); not a real curve point, which the encoders do not need.
inline weft::wg::RawKey rawKey(unsigned i, uint8_t salt = 0x42) {
    weft::wg::RawKey k;
    k.fill(salt);
    k[0] = uint8_t(i);
    k[1] = uint8_t(i >> 8);
    return k;
}
inline std::string key(unsigned i, uint8_t salt = 0x42) {
    return weft::wg::encodeKey(rawKey(i, salt));
}

inline Prefix prefix(const char* text) {
    return *Prefix::parse(text);
}

/// Allowed IP j of peer i: IPv4 host routes and IPv6 /120s, alternating, all distinct.
inline Prefix allowedIp(unsigned i, unsigned j) {
    if (j % 2 == 0) {
        uint8_t b[4] = {10, uint8_t(j), uint8_t(i >> 8), uint8_t(i)};
        return Prefix::make(Address::fromBytes(Family::V4, b), 32);
    }
    uint8_t b[16] = {0xfd, 0, 0, 0, 0, 0, 0, uint8_t(j), 0, 0, 0, 0, uint8_t(i >> 8), uint8_t(i)};
    return Prefix::make(Address::fromBytes(Family::V6, b), 120);
}

inline weft::WireguardPeer peer(unsigned i, unsigned ips = 4) {
    weft::WireguardPeer p;
    p.publicKey = key(i);
    if (i % 3 == 0)
        p.presharedKey = key(i, 0x77);
    if (i % 2 == 0) {
        uint8_t b[4] = {127, 0, uint8_t(i >> 8), uint8_t(i)};
        p.endpoint = Endpoint{Address::fromBytes(Family::V4, b), uint16_t(51820 + i % 7)};
    } else {
        p.endpoint = Endpoint{*Address::parse("::1"), 51820};
    }
    p.persistentKeepalive = std::chrono::seconds(25);
    for (unsigned j = 0; j < ips; ++j)
        p.allowedIps.push_back(allowedIp(i, j));
    return p;
}

inline weft::WireguardLink link(unsigned peers, unsigned ips = 4) {
    weft::WireguardLink l;
    l.name = "wg0";
    l.privateKey = key(9999, 0x11);
    l.listenPort = 51820;
    l.fwmark = 0x20;
    for (unsigned i = 0; i < peers; ++i)
        l.peers.push_back(peer(i, ips));
    return l;
}

/// The device as a back end would read it back once `l` is applied.
inline weft::kernel::wg::DeviceState stateOf(const weft::WireguardLink& l) {
    weft::kernel::wg::DeviceState d;
    d.privateKey = l.privateKey;
    d.listenPort = l.listenPort;
    d.fwmark = l.fwmark;
    for (auto& p : l.peers) {
        d.peers.push_back({p.publicKey, p.presharedKey, p.endpoint, p.allowedIps,
                           p.persistentKeepalive, 1700000000, 10, 20});
    }
    return d;
}

/// A change with every kind of field: device settings, a removal, a new and an edited peer.
inline weft::kernel::wg::DeviceChange sampleChange() {
    weft::kernel::wg::DeviceChange c;
    c.privateKey = key(9, 0x11);
    c.listenPort = 51820;
    c.fwmark = 0x51820;
    c.removePeers = {key(1)};
    weft::kernel::wg::PeerChange added;
    added.publicKey = key(2);
    added.presharedKey = key(2, 0x77);
    added.endpoint = Endpoint{*Address::parse("127.0.0.2"), 51820};
    added.keepalive = std::chrono::seconds(25);
    added.replaceAllowedIps = true;
    added.allowedIps = {prefix("10.0.0.2/32"), prefix("fd00::/64")};
    weft::kernel::wg::PeerChange edited;
    edited.publicKey = key(3);
    edited.updateOnly = true;
    edited.endpoint = Endpoint{*Address::parse("::1"), 4500};
    c.peers = {added, edited};
    return c;
}

}  // namespace wgtest
