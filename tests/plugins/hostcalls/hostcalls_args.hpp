// D-Bus arguments of the hostcalls test plugin as weft's types: a{ss} maps in, a{ss} out.
#pragma once

#include <map>
#include <string>

#include "weft/flows.hpp"
#include "weft/logged_packet.hpp"
#include "weft/probe.hpp"

namespace hostcalls {

using Args = std::map<std::string, std::string>;

/// family=4|6 source=PREFIX destination=PREFIX protocol=N dport=N[-M] ctmark=V/M.
/// Throws weft::BusError("InvalidArgument") naming the bad key.
weft::FlowFilter flowFilter(const Args& a);
/// kind=icmp|tcp|dns target=ADDR port=N interface=IF mark=N timeout_ms=N name=DNSNAME.
weft::ProbeRequest probeRequest(const Args& a);
Args resultArgs(const weft::ProbeResult& r);
Args packetArgs(const weft::LoggedPacket& p);

}  // namespace hostcalls
