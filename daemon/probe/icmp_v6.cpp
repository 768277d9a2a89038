// ICMPv6 for the echo probe.
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "probe/icmp_codec.hpp"
#include "probe/probe_socket.hpp"

namespace weft::probe {

namespace {

std::string unreachableText(uint8_t code) {
    switch (code) {
        case ICMP6_DST_UNREACH_NOROUTE:
            return "no route to destination";
        case ICMP6_DST_UNREACH_ADMIN:
            return "administratively prohibited";
        case ICMP6_DST_UNREACH_ADDR:
            return "address unreachable";
        case ICMP6_DST_UNREACH_NOPORT:
            return "port unreachable";
        default:
            return "destination unreachable (code " + std::to_string(code) + ")";
    }
}

bool matches(const icmp6_hdr& h, EchoIds ids) {
    return ntohs(h.icmp6_id) == ids.ident && ntohs(h.icmp6_seq) == ids.sequence;
}

}  // namespace

void filterIcmpV6(int fd) {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filter);
    if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0)
        throwErrno("ICMPv6 filter");
}

std::vector<uint8_t> echoRequestV6(EchoIds ids) {
    icmp6_hdr h{};
    h.icmp6_type = ICMP6_ECHO_REQUEST;
    h.icmp6_id = htons(ids.ident);
    h.icmp6_seq = htons(ids.sequence);
    std::vector<uint8_t> packet(sizeof h + sizeof kEchoPayload);
    std::memcpy(packet.data(), &h, sizeof h);
    std::memcpy(packet.data() + sizeof h, kEchoPayload, sizeof kEchoPayload);
    return packet;
}

IcmpAnswer classifyIcmpV6(std::span<const uint8_t> packet, const Address& from,
                          const Address& target, EchoIds ids) {
    icmp6_hdr h;
    if (packet.size() < sizeof h)
        return {};
    std::memcpy(&h, packet.data(), sizeof h);
    if (h.icmp6_type == ICMP6_ECHO_REPLY)
        return matches(h, ids) && from == target ? IcmpAnswer{IcmpAnswer::Kind::EchoReply, {}}
                                                 : IcmpAnswer{};
    if (h.icmp6_type != ICMP6_DST_UNREACH && h.icmp6_type != ICMP6_TIME_EXCEEDED)
        return {};
    // An error quotes as much of the offending packet as fits; we need its IPv6 header and the
    // echo header right behind it (our requests carry no extension headers).
    auto quoted = packet.subspan(sizeof h);
    ip6_hdr inner;
    icmp6_hdr echo;
    if (quoted.size() < sizeof inner + sizeof echo)
        return {};
    std::memcpy(&inner, quoted.data(), sizeof inner);
    std::memcpy(&echo, quoted.data() + sizeof inner, sizeof echo);
    if (inner.ip6_nxt != IPPROTO_ICMPV6 ||
        std::memcmp(&inner.ip6_dst, target.bytes.data(), 16) != 0 ||
        echo.icmp6_type != ICMP6_ECHO_REQUEST || !matches(echo, ids))
        return {};
    std::string what =
        h.icmp6_type == ICMP6_TIME_EXCEEDED ? "hop limit exceeded" : unreachableText(h.icmp6_code);
    return {IcmpAnswer::Kind::Error, what + " (ICMPv6 from " + from.str() + ")"};
}

}  // namespace weft::probe
