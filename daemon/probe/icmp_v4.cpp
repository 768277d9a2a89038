// ICMPv4 for the echo probe, with the kernel's own header definitions.
#include <linux/icmp.h>
#include <linux/ip.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <string>

#include "probe/icmp_codec.hpp"
#include "probe/probe_socket.hpp"

namespace weft::probe {

namespace {

// RFC 1071 one's-complement sum.
uint16_t internetChecksum(std::span<const uint8_t> data) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < data.size(); i += 2)
        sum += uint32_t(data[i]) << 8 | data[i + 1];
    if (data.size() % 2)
        sum += uint32_t(data.back()) << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum);
}

std::string unreachableText(uint8_t code) {
    switch (code) {
        case ICMP_NET_UNREACH:
            return "network unreachable";
        case ICMP_HOST_UNREACH:
            return "host unreachable";
        case ICMP_PROT_UNREACH:
            return "protocol unreachable";
        case ICMP_PORT_UNREACH:
            return "port unreachable";
        case ICMP_FRAG_NEEDED:
            return "fragmentation needed";
        case ICMP_NET_ANO:
        case ICMP_HOST_ANO:
        case ICMP_PKT_FILTERED:
            return "administratively prohibited";
        default:
            return "destination unreachable (code " + std::to_string(code) + ")";
    }
}

// An IP header at the start of `p`, with its length checked; nullopt if `p` holds none.
std::optional<iphdr> ipHeader(std::span<const uint8_t> p, size_t& length) {
    iphdr ip;
    if (p.size() < sizeof ip)
        return std::nullopt;
    std::memcpy(&ip, p.data(), sizeof ip);
    length = size_t(ip.ihl) * 4;
    if (ip.version != 4 || length < sizeof ip || p.size() < length)
        return std::nullopt;
    return ip;
}

bool matches(const icmphdr& h, EchoIds ids) {
    return ntohs(h.un.echo.id) == ids.ident && ntohs(h.un.echo.sequence) == ids.sequence;
}

}  // namespace

void filterIcmpV4(int fd) {
    icmp_filter filter{};
    filter.data =
        ~uint32_t((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) | (1u << ICMP_TIME_EXCEEDED));
    if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter) != 0)
        throwErrno("ICMP filter");
}

std::vector<uint8_t> echoRequestV4(EchoIds ids) {
    icmphdr h{};
    h.type = ICMP_ECHO;
    h.un.echo.id = htons(ids.ident);
    h.un.echo.sequence = htons(ids.sequence);
    std::vector<uint8_t> packet(sizeof h + sizeof kEchoPayload);
    std::memcpy(packet.data() + sizeof h, kEchoPayload, sizeof kEchoPayload);
    std::memcpy(packet.data(), &h, sizeof h);
    h.checksum = htons(internetChecksum(packet));
    std::memcpy(packet.data(), &h, sizeof h);
    return packet;
}

IcmpAnswer classifyIcmpV4(std::span<const uint8_t> packet, const Address& from,
                          const Address& target, EchoIds ids) {
    size_t outerLength = 0;
    if (!ipHeader(packet, outerLength) || packet.size() < outerLength + sizeof(icmphdr))
        return {};
    icmphdr h;
    std::memcpy(&h, packet.data() + outerLength, sizeof h);
    if (h.type == ICMP_ECHOREPLY)
        return matches(h, ids) && from == target ? IcmpAnswer{IcmpAnswer::Kind::EchoReply, {}}
                                                 : IcmpAnswer{};
    if (h.type != ICMP_DEST_UNREACH && h.type != ICMP_TIME_EXCEEDED)
        return {};
    // An error quotes the offending packet's IP header and its first 8 bytes: our echo header.
    auto quoted = packet.subspan(outerLength + sizeof h);
    size_t innerLength = 0;
    auto inner = ipHeader(quoted, innerLength);
    if (!inner || quoted.size() < innerLength + sizeof(icmphdr) || inner->protocol != IPPROTO_ICMP)
        return {};
    if (std::memcmp(&inner->daddr, target.bytes.data(), 4) != 0)
        return {};
    icmphdr echo;
    std::memcpy(&echo, quoted.data() + innerLength, sizeof echo);
    if (echo.type != ICMP_ECHO || !matches(echo, ids))
        return {};
    std::string what =
        h.type == ICMP_TIME_EXCEEDED ? "time to live exceeded" : unreachableText(h.code);
    return {IcmpAnswer::Kind::Error, what + " (ICMP from " + from.str() + ")"};
}

}  // namespace weft::probe
