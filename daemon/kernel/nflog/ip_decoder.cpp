#include "kernel/nflog/ip_decoder.hpp"

#include <netinet/in.h>

namespace weft::kernel {
namespace {

uint16_t be16(const uint8_t* p) {
    return uint16_t(p[0] << 8 | p[1]);
}

bool hasPorts(uint8_t protocol) {
    return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_SCTP;
}

// TCP, UDP and SCTP all begin with the source and destination port.
void readPorts(IpHeaders& h, const uint8_t* transport, size_t size) {
    if (!hasPorts(h.protocol) || size < 4)
        return;
    h.sourcePort = be16(transport);
    h.destinationPort = be16(transport + 2);
}

std::optional<IpHeaders> decodeV4(const uint8_t* data, size_t size) {
    if (size < 20)
        return std::nullopt;
    size_t headerLength = size_t(data[0] & 0x0f) * 4;
    if (headerLength < 20)
        return std::nullopt;
    IpHeaders h;
    h.family = Family::V4;
    h.protocol = data[9];
    h.source = Address::fromBytes(Family::V4, data + 12);
    h.destination = Address::fromBytes(Family::V4, data + 16);
    bool firstFragment = (be16(data + 6) & 0x1fff) == 0;
    if (firstFragment && size > headerLength)
        readPorts(h, data + headerLength, size - headerLength);
    return h;
}

std::optional<IpHeaders> decodeV6(const uint8_t* data, size_t size) {
    if (size < 40)
        return std::nullopt;
    IpHeaders h;
    h.family = Family::V6;
    h.source = Address::fromBytes(Family::V6, data + 8);
    h.destination = Address::fromBytes(Family::V6, data + 24);
    uint8_t next = data[6];
    size_t offset = 40;
    bool firstFragment = true;
    // Follow the extension headers (RFC 8200 section 4) up to the transport header; each step
    // advances by at least 8 bytes, so the walk ends within the copied bytes.
    for (;;) {
        size_t length = 0;
        if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS) {
            if (size - offset < 2)
                break;
            length = (size_t(data[offset + 1]) + 1) * 8;
        } else if (next == IPPROTO_FRAGMENT) {
            if (size - offset < 8)
                break;
            firstFragment = (be16(data + offset + 2) & 0xfff8) == 0;
            length = 8;
        } else if (next == IPPROTO_AH) {
            if (size - offset < 2)
                break;
            length = (size_t(data[offset + 1]) + 2) * 4;
        } else {
            break;  // a transport header, ESP or "no next header"
        }
        if (size - offset < length) {
            // Cut short inside this header: report the header, not what might follow.
            break;
        }
        next = data[offset];
        offset += length;
    }
    h.protocol = next;
    if (firstFragment && offset < size)
        readPorts(h, data + offset, size - offset);
    return h;
}

}  // namespace

std::optional<IpHeaders> decodeIpPacket(const uint8_t* data, size_t size,
                                        std::optional<Family> expected) {
    if (data == nullptr || size < 1)
        return std::nullopt;
    unsigned version = data[0] >> 4;
    if (version == 4 && expected.value_or(Family::V4) == Family::V4)
        return decodeV4(data, size);
    if (version == 6 && expected.value_or(Family::V6) == Family::V6)
        return decodeV6(data, size);
    return std::nullopt;
}

}  // namespace weft::kernel
