// fwmark-routing.conf: the schema (one row per key) and the plugin's fixed names and ranges.
#pragma once

#include <cstdint>

#include "weft/config.hpp"

namespace weft::steer {

/// The plugin's ip rule priorities: after exemption-rules (5000-5099), so exemptions win.
constexpr uint32_t kPriorityFirst = 5100, kPriorityLast = 5199;
/// The fallback rules' priorities: after main (32766) and default (32767), so they are consulted
/// only when neither routes a destination. Policy Priority=P gets 32800 + (P - 5100).
constexpr uint32_t kFallbackPriorityFirst = 32800, kFallbackPriorityLast = 32899;
static_assert(kFallbackPriorityLast - kFallbackPriorityFirst == kPriorityLast - kPriorityFirst);
/// The one nftables table (family inet) this plugin owns.
inline constexpr const char* kNftTable = "weft_fwmark_routing";
/// Written by every policy: reverse-path lookups use the packet's mark.
inline constexpr const char* kSrcValidMark = "net.ipv4.conf.all.src_valid_mark";
/// Written only with [Routing] LooseReversePath=yes.
inline constexpr const char* kRpFilter = "net.ipv4.conf.all.rp_filter";

/// SkipMark='s default: wireguard-mesh's default FirewallMark, under its own bits. WireGuard's
/// own packets are then never steered, even when a policy leaves SkipMark= out.
inline constexpr const char* kMeshFirewallMark = "0x51820";

/// [Routing] (global) and [Route NAME] (one per steering policy).
Schema routingSchema();

}  // namespace weft::steer
