// The one WireGuard differ: what must change on a device (as read back) to make it the desired
// link. Pure and back-end neutral; the UAPI and netlink encoders only translate its result.
#pragma once

#include "weft/state.hpp"
#include "wg_device.hpp"

namespace weft::kernel::wg {

/// The change taking `have` to `want`: a new private key, port or fwmark only if it differs;
/// peers in `have` but not in `want` removed; a new peer sent whole; an existing peer sent with
/// only the fields that differ (its allowed IPs replaced only if the set differs); unchanged
/// peers absent. A wanted peer without an endpoint keeps whatever endpoint it roamed to.
/// A public key listed twice counts once (its first listing). Keys compare as base64 text,
/// which is exact: weft::wg::decodeKey accepts only the canonical spelling.
DeviceChange diffDevice(const DeviceState& have, const WireguardLink& want);

/// The change that gives `peer` a fresh session: the peer removed and added again as it is
/// (key, preshared key, endpoint, keepalive, allowed IPs), in that order in one change. Both
/// back ends then forget its keypairs and handshake state; the next packet or keepalive starts
/// a new handshake. Routes are untouched: the peer's traffic still goes to the link.
DeviceChange sessionRestart(const DeviceState::Peer& peer);

}  // namespace weft::kernel::wg
