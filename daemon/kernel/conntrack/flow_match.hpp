// Whether a conntrack flow matches a FlowFilter, and which part of the filter the kernel can
// apply to a dump itself. Userspace checks every field; the kernel's part only saves work.
#pragma once

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <cstdint>

#include "kernel/conntrack/ct_socket.hpp"
#include "weft/flows.hpp"

namespace weft::kernel::conntrack {

/// AF_INET / AF_INET6 of a Family.
uint8_t addressFamily(Family family);
/// The dump filter the kernel applies for `filter`: its family (or that of its prefixes) and
/// its ct mark.
DumpFilter dumpFilterFor(const FlowFilter& filter);
/// True if every field set in `filter` matches the flow's original direction. A flow without
/// ports (ICMP, GRE, ...) never matches a port filter.
bool flowMatches(const FlowFilter& filter, const nf_conntrack* flow);
/// The flow's original tuple and ct mark (absent fields are zero).
FlowTuple flowTuple(const nf_conntrack* flow);
/// The flow's ct mark (0 when the kernel reported none).
uint32_t flowMark(const nf_conntrack* flow);

}  // namespace weft::kernel::conntrack
