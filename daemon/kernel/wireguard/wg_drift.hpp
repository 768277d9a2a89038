// Drift of a WireGuard device: what someone else changed since weft applied it. WireGuard has no
// change notifications (wireguard-go none at all), so the core polls the device and compares.
#pragma once

#include <optional>
#include <string>

#include "weft/state.hpp"
#include "wg_device.hpp"

namespace weft::kernel::wg {

/// A one-line account of how `have` differs from `want` in what weft sets ("listen port 40000,
/// want 51820; 1 peer missing"), or nullopt when it does not. Endpoints are left out: WireGuard
/// moves a peer's endpoint itself when the peer roams, and that is not drift.
std::optional<std::string> describeDrift(const DeviceState& have, const WireguardLink& want);

}  // namespace weft::kernel::wg
