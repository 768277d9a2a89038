// weft plugin SDK: health probes the core sends for a plugin.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "weft/prefix.hpp"

namespace weft {

/// One health probe. The core owns the socket; the plugin gets the result on the loop.
struct ProbeRequest {
    enum class Kind {
        IcmpEcho,    ///< ICMP / ICMPv6 echo request; ok on the matching echo reply
        TcpConnect,  ///< TCP handshake to target:port; ok once connected (a reset is an error)
        Dns,         ///< UDP DNS query for `dnsName` (type A) to target:port; ok on any answer
    } kind = Kind::IcmpEcho;
    Address target;
    uint16_t port = 0;      ///< TcpConnect: required; Dns: 0 means 53
    std::string interface;  ///< send out of this interface (SO_BINDTODEVICE); empty: routed
    std::optional<uint32_t> fwmark;  ///< mark the probe's packets (SO_MARK), for policy routing
    std::chrono::milliseconds timeout{1000};
    std::string dnsName = ".";  ///< Dns: the name asked for
};

struct ProbeResult {
    enum class Status {
        Ok,       ///< the target answered
        Timeout,  ///< no answer within the timeout
        Error,    ///< refused, unreachable, or the probe could not be sent (see `error`)
    } status = Status::Error;
    std::chrono::microseconds rtt{0};  ///< Ok: time from send to answer
    std::string error;                 ///< Error: what went wrong, e.g. "connection refused"
};

}  // namespace weft
