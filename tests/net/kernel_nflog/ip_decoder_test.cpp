// The IP decoder on crafted packets: what it reads, and that no truncation makes it read more.
#include "kernel/nflog/ip_decoder.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <random>
#include <vector>

namespace weft::kernel {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
    b.push_back(uint8_t(v >> 8));
    b.push_back(uint8_t(v));
}

Bytes ports(uint16_t src, uint16_t dst) {
    Bytes b;
    put16(b, src);
    put16(b, dst);
    b.resize(20, 0);  // the rest of a TCP header; UDP and SCTP only need the first bytes
    return b;
}

// An IPv4 header from 192.0.2.1 to 198.51.100.7; `options` 4-byte words of options.
Bytes ipv4(uint8_t protocol, const Bytes& transport, uint16_t fragment = 0, int options = 0) {
    Bytes b{uint8_t(0x40 | (5 + options)), 0};
    put16(b, uint16_t(20 + 4 * options + transport.size()));
    put16(b, 0x1234);
    put16(b, fragment);
    b.insert(b.end(), {64, protocol, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7});
    b.insert(b.end(), size_t(4 * options), 1);  // NOP options
    b.insert(b.end(), transport.begin(), transport.end());
    return b;
}

// An IPv6 header from 2001:db8::1 to 2001:db8::2, then `rest` (extension and transport).
Bytes ipv6(uint8_t next, const Bytes& rest) {
    Bytes b{0x60, 0, 0, 0};
    put16(b, uint16_t(rest.size()));
    b.push_back(next);
    b.push_back(64);
    Bytes src(16, 0), dst(16, 0);
    src[0] = dst[0] = 0x20;
    src[1] = dst[1] = 0x01;
    src[2] = dst[2] = 0x0d;
    src[3] = dst[3] = 0xb8;
    src[15] = 1;
    dst[15] = 2;
    b.insert(b.end(), src.begin(), src.end());
    b.insert(b.end(), dst.begin(), dst.end());
    b.insert(b.end(), rest.begin(), rest.end());
    return b;
}

// An options-style extension header (hop-by-hop, routing, destination): `words` 8-byte units.
Bytes extension(uint8_t next, int words = 1) {
    Bytes b{next, uint8_t(words - 1)};
    b.resize(size_t(8 * words), 0);
    return b;
}

Bytes fragmentHeader(uint8_t next, uint16_t offsetUnits) {
    Bytes b{next, 0};
    put16(b, uint16_t(offsetUnits << 3));
    b.insert(b.end(), {0, 0, 0, 1});
    return b;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

TEST(IpDecoder, Ipv4Udp) {
    Bytes p = ipv4(IPPROTO_UDP, ports(5353, 53));
    auto h = decodeIpPacket(p.data(), p.size());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->family, Family::V4);
    EXPECT_EQ(h->source.str(), "192.0.2.1");
    EXPECT_EQ(h->destination.str(), "198.51.100.7");
    EXPECT_EQ(h->protocol, IPPROTO_UDP);
    EXPECT_EQ(h->sourcePort, 5353);
    EXPECT_EQ(h->destinationPort, 53);
}

TEST(IpDecoder, Ipv4OptionsAreSkippedBeforeThePorts) {
    Bytes p = ipv4(IPPROTO_TCP, ports(40000, 443), 0, 2);
    auto h = decodeIpPacket(p.data(), p.size(), Family::V4);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->sourcePort, 40000);
    EXPECT_EQ(h->destinationPort, 443);
}

TEST(IpDecoder, Ipv4SctpHasPortsIcmpHasNone) {
    Bytes sctp = ipv4(IPPROTO_SCTP, ports(3868, 2905));
    auto s = decodeIpPacket(sctp.data(), sctp.size());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->protocol, IPPROTO_SCTP);
    EXPECT_EQ(s->sourcePort, 3868);
    EXPECT_EQ(s->destinationPort, 2905);

    Bytes icmp = ipv4(IPPROTO_ICMP, Bytes{8, 0, 0, 0, 0, 1, 0, 1});
    auto i = decodeIpPacket(icmp.data(), icmp.size());
    ASSERT_TRUE(i);
    EXPECT_EQ(i->protocol, IPPROTO_ICMP);
    EXPECT_FALSE(i->sourcePort);
    EXPECT_FALSE(i->destinationPort);
}

TEST(IpDecoder, Ipv4LaterFragmentHasNoPorts) {
    Bytes p = ipv4(IPPROTO_UDP, ports(1, 2), 185);  // offset 185 * 8 bytes
    auto h = decodeIpPacket(p.data(), p.size());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->protocol, IPPROTO_UDP);
    EXPECT_FALSE(h->sourcePort);
    // The first fragment (more-fragments flag set, offset 0) still has them.
    Bytes first = ipv4(IPPROTO_UDP, ports(1, 2), 0x2000);
    EXPECT_EQ(decodeIpPacket(first.data(), first.size())->destinationPort, 2);
}

TEST(IpDecoder, Ipv4BadHeaderLengthIsRejected) {
    Bytes p = ipv4(IPPROTO_UDP, ports(1, 2));
    p[0] = 0x44;  // IHL 4: shorter than the fixed header
    EXPECT_FALSE(decodeIpPacket(p.data(), p.size()));
}

TEST(IpDecoder, Ipv6TcpWithoutExtensionHeaders) {
    Bytes p = ipv6(IPPROTO_TCP, ports(51000, 22));
    auto h = decodeIpPacket(p.data(), p.size(), Family::V6);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->family, Family::V6);
    EXPECT_EQ(h->source.str(), "2001:db8::1");
    EXPECT_EQ(h->destination.str(), "2001:db8::2");
    EXPECT_EQ(h->protocol, IPPROTO_TCP);
    EXPECT_EQ(h->sourcePort, 51000);
    EXPECT_EQ(h->destinationPort, 22);
}

TEST(IpDecoder, Ipv6FollowsExtensionHeaders) {
    Bytes p = ipv6(IPPROTO_HOPOPTS, cat({extension(IPPROTO_ROUTING), extension(IPPROTO_DSTOPTS, 3),
                                         extension(IPPROTO_UDP), ports(546, 547)}));
    auto h = decodeIpPacket(p.data(), p.size());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->protocol, IPPROTO_UDP);
    EXPECT_EQ(h->sourcePort, 546);
    EXPECT_EQ(h->destinationPort, 547);
}

TEST(IpDecoder, Ipv6AuthenticationHeaderLengthIsInFourByteWords) {
    Bytes ah{IPPROTO_TCP, 4};  // (4 + 2) * 4 = 24 bytes
    ah.resize(24, 0);
    Bytes p = ipv6(IPPROTO_AH, cat({ah, ports(1000, 2000)}));
    auto h = decodeIpPacket(p.data(), p.size());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->protocol, IPPROTO_TCP);
    EXPECT_EQ(h->destinationPort, 2000);
}

TEST(IpDecoder, Ipv6Fragments) {
    Bytes first = ipv6(IPPROTO_FRAGMENT, cat({fragmentHeader(IPPROTO_UDP, 0), ports(7, 9)}));
    auto f = decodeIpPacket(first.data(), first.size());
    ASSERT_TRUE(f);
    EXPECT_EQ(f->protocol, IPPROTO_UDP);
    EXPECT_EQ(f->destinationPort, 9);

    Bytes later = ipv6(IPPROTO_FRAGMENT, cat({fragmentHeader(IPPROTO_UDP, 100), ports(7, 9)}));
    auto l = decodeIpPacket(later.data(), later.size());
    ASSERT_TRUE(l);
    EXPECT_EQ(l->protocol, IPPROTO_UDP);
    EXPECT_FALSE(l->sourcePort);
}

TEST(IpDecoder, Ipv6CutInsideAnExtensionHeaderReportsThatHeader) {
    Bytes p = ipv6(IPPROTO_HOPOPTS, cat({extension(IPPROTO_TCP, 2), ports(1, 2)}));
    p.resize(40 + 10);  // 10 of the hop-by-hop header's 16 bytes
    auto h = decodeIpPacket(p.data(), p.size());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->protocol, IPPROTO_HOPOPTS);
    EXPECT_FALSE(h->sourcePort);
}

TEST(IpDecoder, VersionMustMatchTheFamilyTheKernelNamed) {
    Bytes v4 = ipv4(IPPROTO_UDP, ports(1, 2));
    Bytes v6 = ipv6(IPPROTO_UDP, ports(1, 2));
    EXPECT_FALSE(decodeIpPacket(v4.data(), v4.size(), Family::V6));
    EXPECT_FALSE(decodeIpPacket(v6.data(), v6.size(), Family::V4));
    v4[0] = 0x55;  // version 5
    EXPECT_FALSE(decodeIpPacket(v4.data(), v4.size()));
    EXPECT_FALSE(decodeIpPacket(nullptr, 0));
}

// Every prefix of a packet decodes to its addresses once the fixed header is there, and to its
// ports once every header before them is. Each prefix is copied into a buffer of exactly that
// size, so a sanitizer would catch an overread.
TEST(IpDecoder, EveryTruncationIsSafe) {
    struct Case {
        Bytes packet;
        size_t addressesFrom, portsFrom;
    };
    std::vector<Case> cases = {
        {ipv4(IPPROTO_TCP, ports(1, 2), 0, 3), 20, 32 + 4},
        {ipv6(IPPROTO_HOPOPTS,
              cat({extension(IPPROTO_FRAGMENT, 2), fragmentHeader(IPPROTO_SCTP, 0), ports(1, 2)})),
         40, 40 + 16 + 8 + 4},
    };
    for (auto& c : cases) {
        for (size_t n = 0; n <= c.packet.size(); ++n) {
            Bytes cut(c.packet.begin(), c.packet.begin() + long(n));
            auto h = decodeIpPacket(cut.data(), cut.size());
            ASSERT_EQ(bool(h), n >= c.addressesFrom) << "length " << n;
            if (h) {
                EXPECT_EQ(h->destinationPort == uint16_t(2), n >= c.portsFrom) << "length " << n;
            }
        }
    }
}

TEST(IpDecoder, RandomBytesNeverCrash) {
    std::mt19937 rng(20240611);
    for (int i = 0; i < 20000; ++i) {
        Bytes b(rng() % 120);
        for (auto& x : b)
            x = uint8_t(rng());
        if (!b.empty())
            b[0] = uint8_t((i % 2 ? 0x40 : 0x60) | (b[0] & 0x0f));
        auto h = decodeIpPacket(b.data(), b.size());
        if (h && h->sourcePort) {
            EXPECT_TRUE(h->destinationPort);
        }
    }
}

}  // namespace
}  // namespace weft::kernel
