#include "kernel/nflog/nflog_message.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>
// After <sys/socket.h> and <libmnl/libmnl.h>: the library header needs both.
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink.h>

#include "kernel/nflog/ip_decoder.hpp"

namespace weft::kernel {
namespace {

std::optional<Family> familyOf(const nfgenmsg& gen, const nlattr* packetHeader) {
    if (gen.nfgen_family == AF_INET)
        return Family::V4;
    if (gen.nfgen_family == AF_INET6)
        return Family::V6;
    // bridge and netdev tables: the link layer says which IP version follows.
    if (packetHeader != nullptr) {
        nfulnl_msg_packet_hdr ph;
        std::memcpy(&ph, mnl_attr_get_payload(packetHeader), sizeof ph);
        if (ntohs(ph.hw_protocol) == ETH_P_IP)
            return Family::V4;
        if (ntohs(ph.hw_protocol) == ETH_P_IPV6)
            return Family::V6;
    }
    return std::nullopt;  // left to the packet's version nibble
}

uint32_t attrU32(const nlattr* a) {
    return a != nullptr ? ntohl(mnl_attr_get_u32(a)) : 0;
}

std::chrono::system_clock::time_point timeOf(const nlattr* a,
                                             std::chrono::system_clock::time_point now) {
    if (a == nullptr)
        return now;
    nfulnl_msg_packet_timestamp ts;
    std::memcpy(&ts, mnl_attr_get_payload(a), sizeof ts);
    auto sec = std::chrono::seconds(int64_t(be64toh(ts.sec)));
    auto usec = std::chrono::microseconds(int64_t(be64toh(ts.usec)));
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(sec + usec));
}

}  // namespace

std::string interfaceName(uint32_t index) {
    char name[IF_NAMESIZE] = {};
    if (index == 0 || if_indextoname(index, name) == nullptr)
        return {};
    return name;
}

std::optional<NflogRecord> decodeNflogMessage(std::span<const uint8_t> message,
                                              std::chrono::system_clock::time_point now,
                                              const InterfaceNamer& names) {
    if (message.size() < sizeof(nlmsghdr))
        return std::nullopt;
    auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
    if (!mnl_nlmsg_ok(nlh, int(std::min<size_t>(message.size(), INT32_MAX))))
        return std::nullopt;
    // libmnl walks attributes up to the *aligned* message length. The kernel's messages are
    // aligned; for any other buffer, parse a zero-padded copy rather than read past its end.
    std::vector<uint8_t> padded;
    if (MNL_ALIGN(nlh->nlmsg_len) > message.size()) {
        padded.assign(message.begin(), message.begin() + nlh->nlmsg_len);
        padded.resize(MNL_ALIGN(nlh->nlmsg_len), 0);
        nlh = reinterpret_cast<const nlmsghdr*>(padded.data());
    }
    if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
        return std::nullopt;
    if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nfgenmsg))
        return std::nullopt;
    nlattr* attr[NFULA_MAX + 1] = {};
    if (nflog_nlmsg_parse(nlh, attr) != MNL_CB_OK)
        return std::nullopt;
    const nlattr* payload = attr[NFULA_PAYLOAD];
    if (payload == nullptr)
        return std::nullopt;

    nfgenmsg gen;
    std::memcpy(&gen, mnl_nlmsg_get_payload(nlh), sizeof gen);
    auto ip =
        decodeIpPacket(static_cast<const uint8_t*>(mnl_attr_get_payload(payload)),
                       mnl_attr_get_payload_len(payload), familyOf(gen, attr[NFULA_PACKET_HDR]));
    if (!ip)
        return std::nullopt;

    NflogRecord r;
    LoggedPacket& p = r.packet;
    p.group = ntohs(gen.res_id);
    if (attr[NFULA_PREFIX] != nullptr)
        p.prefix = mnl_attr_get_str(attr[NFULA_PREFIX]);
    p.family = ip->family;
    p.source = ip->source;
    p.destination = ip->destination;
    p.protocol = ip->protocol;
    p.sourcePort = ip->sourcePort;
    p.destinationPort = ip->destinationPort;
    if (uint32_t in = attrU32(attr[NFULA_IFINDEX_INDEV]); in != 0)
        p.inInterface = names(in);
    if (uint32_t out = attrU32(attr[NFULA_IFINDEX_OUTDEV]); out != 0)
        p.outInterface = names(out);
    p.mark = attrU32(attr[NFULA_MARK]);
    p.time = timeOf(attr[NFULA_TIMESTAMP], now);
    if (attr[NFULA_SEQ] != nullptr)
        r.sequence = attrU32(attr[NFULA_SEQ]);
    return r;
}

}  // namespace weft::kernel
