// The per-family half of the ICMP echo probe: the raw socket's type filter, the echo request,
// and what a received ICMP message means for our probe. ICMPv4 and ICMPv6 live in separate
// files because <linux/icmp.h> and <netinet/icmp6.h> do not mix.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "weft/prefix.hpp"

namespace weft::probe {

/// What marks our echo request; the reply carries both back.
struct EchoIds {
    uint16_t ident = 0;
    uint16_t sequence = 0;
};

/// What one received ICMP message says about our probe.
struct IcmpAnswer {
    enum class Kind {
        Unrelated,  ///< someone else's, or not an answer
        EchoReply,  ///< the target answered our request
        Error,      ///< an ICMP error about our request (unreachable, time exceeded)
    } kind = Kind::Unrelated;
    std::string error;  ///< Error: e.g. "host unreachable (ICMP from 192.0.2.1)"
};

/// Lets only echo replies and the errors we read reach the raw socket (not every ICMP message).
void filterIcmpV4(int fd);
void filterIcmpV6(int fd);

/// ICMP echo request (type 8) with its checksum.
std::vector<uint8_t> echoRequestV4(EchoIds ids);
/// ICMPv6 echo request (type 128); the kernel fills in the checksum of raw ICMPv6 sockets.
std::vector<uint8_t> echoRequestV6(EchoIds ids);

/// A message read from a raw IPv4 ICMP socket: it starts at the IP header. `from` sent it.
IcmpAnswer classifyIcmpV4(std::span<const uint8_t> packet, const Address& from,
                          const Address& target, EchoIds ids);
/// A message read from a raw ICMPv6 socket: it starts at the ICMPv6 header.
IcmpAnswer classifyIcmpV6(std::span<const uint8_t> packet, const Address& from,
                          const Address& target, EchoIds ids);

/// The payload of our echo requests (replies echo it back; it names the sender in a capture).
inline constexpr char kEchoPayload[] = "weft health probe";

}  // namespace weft::probe
