// vpn-egress: the config schema ([Egress], [Gateway NAME], [PortForward NAME]) as data.
#pragma once

#include "weft/config.hpp"

namespace weft::egress {

inline constexpr uint32_t kPriorityFirst = 7100;
inline constexpr uint32_t kPriorityLast = 7199;

Schema egressSchema();

}  // namespace weft::egress
