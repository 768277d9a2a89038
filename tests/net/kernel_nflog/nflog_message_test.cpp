// The nflog message decoder on messages built here the way the kernel builds them.
#include "kernel/nflog/nflog_message.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink.h>
#include <cstring>
#include <vector>

namespace weft::kernel {
namespace {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::system_clock;

// An IPv4 UDP packet 10.0.0.1:1234 -> 10.0.0.2:53.
Bytes udp4() {
    return {0x45, 0, 0,  28, 0, 0, 0,    0,    64, IPPROTO_UDP, 0, 0, 10, 0,
            0,    1, 10, 0,  0, 2, 0x04, 0xd2, 0,  53,          0, 8, 0,  0};
}

// An IPv6 ICMPv6 echo request ::1 -> ::1.
Bytes icmp6() {
    Bytes b{0x60, 0, 0, 0, 0, 8, IPPROTO_ICMPV6, 64};
    for (int i = 0; i < 2; ++i) {
        b.insert(b.end(), 15, 0);
        b.push_back(1);
    }
    b.insert(b.end(), {128, 0, 0, 0, 0, 1, 0, 1});
    return b;
}

struct Message {
    Bytes buf = Bytes(4096);
    nlmsghdr* nlh;

    Message(uint8_t family, uint16_t group) {
        nlh = mnl_nlmsg_put_header(buf.data());
        nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
        auto* gen = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
        gen->nfgen_family = family;
        gen->version = NFNETLINK_V0;
        gen->res_id = htons(group);
    }
    Message& hwProtocol(uint16_t proto) {
        nfulnl_msg_packet_hdr ph{htons(proto), 1, 0};
        mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof ph, &ph);
        return *this;
    }
    Message& u32(uint16_t type, uint32_t v) {
        mnl_attr_put_u32(nlh, type, htonl(v));
        return *this;
    }
    Message& prefix(const char* text) {
        mnl_attr_put_strz(nlh, NFULA_PREFIX, text);
        return *this;
    }
    Message& timestamp(uint64_t sec, uint64_t usec) {
        nfulnl_msg_packet_timestamp ts{htobe64(sec), htobe64(usec)};
        mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof ts, &ts);
        return *this;
    }
    Message& payload(const Bytes& p) {
        mnl_attr_put(nlh, NFULA_PAYLOAD, p.size(), p.data());
        return *this;
    }
    Bytes bytes() const { return Bytes(buf.begin(), buf.begin() + nlh->nlmsg_len); }
};

std::string fakeName(uint32_t index) {
    return "if" + std::to_string(index);
}

TEST(NflogMessage, DecodesEveryField) {
    Bytes m = Message(AF_INET, 5)
                  .hwProtocol(ETH_P_IP)
                  .u32(NFULA_MARK, 0x2a)
                  .timestamp(1700000000, 250000)
                  .u32(NFULA_IFINDEX_INDEV, 3)
                  .u32(NFULA_IFINDEX_OUTDEV, 7)
                  .prefix("weft-drop: ")
                  .u32(NFULA_SEQ, 41)
                  .payload(udp4())
                  .bytes();
    auto r = decodeNflogMessage(m, Clock::time_point{}, fakeName);
    ASSERT_TRUE(r);
    const LoggedPacket& p = r->packet;
    EXPECT_EQ(p.group, 5);
    EXPECT_EQ(p.prefix, "weft-drop: ");
    EXPECT_EQ(p.family, Family::V4);
    EXPECT_EQ(p.source.str(), "10.0.0.1");
    EXPECT_EQ(p.destination.str(), "10.0.0.2");
    EXPECT_EQ(p.protocol, IPPROTO_UDP);
    EXPECT_EQ(p.sourcePort, 1234);
    EXPECT_EQ(p.destinationPort, 53);
    EXPECT_EQ(p.inInterface, "if3");
    EXPECT_EQ(p.outInterface, "if7");
    EXPECT_EQ(p.mark, 0x2au);
    EXPECT_EQ(p.time, Clock::time_point(std::chrono::seconds(1700000000) +
                                        std::chrono::microseconds(250000)));
    EXPECT_EQ(r->sequence, 41u);
}

TEST(NflogMessage, MissingFieldsGetDefaultsAndTheArrivalTime) {
    Bytes m = Message(AF_INET6, 65535).payload(icmp6()).bytes();
    auto now = Clock::time_point(std::chrono::seconds(12345));
    bool named = false;
    auto r = decodeNflogMessage(m, now, [&](uint32_t) {
        named = true;
        return std::string("x");
    });
    ASSERT_TRUE(r);
    EXPECT_EQ(r->packet.group, 65535);
    EXPECT_EQ(r->packet.family, Family::V6);
    EXPECT_EQ(r->packet.source.str(), "::1");
    EXPECT_EQ(r->packet.protocol, IPPROTO_ICMPV6);
    EXPECT_FALSE(r->packet.sourcePort);
    EXPECT_EQ(r->packet.prefix, "");
    EXPECT_EQ(r->packet.inInterface, "");
    EXPECT_EQ(r->packet.outInterface, "");
    EXPECT_EQ(r->packet.mark, 0u);
    EXPECT_EQ(r->packet.time, now);
    EXPECT_FALSE(r->sequence);
    EXPECT_FALSE(named);  // no interface attribute, no lookup
}

TEST(NflogMessage, BridgeFamilyTakesTheIpVersionFromTheLinkLayer) {
    Bytes v6 = Message(AF_BRIDGE, 1).hwProtocol(ETH_P_IPV6).payload(icmp6()).bytes();
    auto r = decodeNflogMessage(v6, Clock::now(), fakeName);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->packet.family, Family::V6);
    // The link layer says IPv4 but the packet is IPv6: refused, not misread.
    Bytes wrong = Message(AF_BRIDGE, 1).hwProtocol(ETH_P_IP).payload(icmp6()).bytes();
    EXPECT_FALSE(decodeNflogMessage(wrong, Clock::now(), fakeName));
    // ARP has no IP header to report.
    Bytes arp = Message(AF_BRIDGE, 1).hwProtocol(ETH_P_ARP).payload(Bytes(28, 0)).bytes();
    EXPECT_FALSE(decodeNflogMessage(arp, Clock::now(), fakeName));
}

TEST(NflogMessage, RefusesOtherMessagesAndMissingPayload) {
    Message other(AF_INET, 1);
    other.payload(udp4());
    other.nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
    EXPECT_FALSE(decodeNflogMessage(other.bytes(), Clock::now(), fakeName));
    Bytes noPayload = Message(AF_INET, 1).prefix("p").bytes();
    EXPECT_FALSE(decodeNflogMessage(noPayload, Clock::now(), fakeName));
    // A prefix attribute without its terminating NUL is malformed.
    Message unterminated(AF_INET, 1);
    mnl_attr_put(unterminated.nlh, NFULA_PREFIX, 3, "abc");
    unterminated.payload(udp4());
    EXPECT_FALSE(decodeNflogMessage(unterminated.bytes(), Clock::now(), fakeName));
    EXPECT_TRUE(
        decodeNflogMessage(Message(AF_INET, 1).payload(udp4()).bytes(), Clock::now(), fakeName));
}

// Cut anywhere, with the header's length left as sent (it then exceeds the buffer) or shrunk
// to the cut (attributes end early): never a crash, never a read past the buffer.
TEST(NflogMessage, TruncatedMessagesAreSafe) {
    Bytes full = Message(AF_INET, 9)
                     .u32(NFULA_MARK, 1)
                     .prefix("truncate me")
                     .u32(NFULA_IFINDEX_OUTDEV, 1)
                     .payload(udp4())
                     .bytes();
    for (size_t n = 0; n < full.size(); ++n) {
        Bytes cut(full.begin(), full.begin() + long(n));
        EXPECT_FALSE(decodeNflogMessage(cut, Clock::now(), fakeName)) << "length " << n;
        if (n < sizeof(nlmsghdr))
            continue;
        uint32_t len = uint32_t(n);
        std::memcpy(cut.data(), &len, sizeof len);  // nlmsg_len comes first
        // The payload attribute is last, so a cut makes it incomplete, hence absent; unless
        // the cut only takes bytes that netlink alignment restores (read as zeros, not beyond).
        bool whole = MNL_ALIGN(n) >= full.size();
        EXPECT_EQ(bool(decodeNflogMessage(cut, Clock::now(), fakeName)), whole)
            << "nlmsg_len " << n;
    }
    EXPECT_TRUE(decodeNflogMessage(full, Clock::now(), fakeName));
}

}  // namespace
}  // namespace weft::kernel
