// Conntrack, fib and ICMP matches and the counting, logging and rejecting statements, each as
// nft emits it (dependencies included), so `nft list` prints them as nft's own rules.
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
// After the glibc headers: linux/in.h would clash with netinet/in.h the other way round.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "nft_expr_parts.hpp"
#include "nft_expr_util.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;
using namespace enc;

void encode(nftnl_rule* r, const MatchCtStatus& m) {
    uint32_t zero = 0;
    ct(r, NFT_CT_STATUS);
    bitwise(r, &m.bits, &zero, 4);
    cmp(r, m.negate ? NFT_CMP_EQ : NFT_CMP_NEQ, &zero, 4);
}

void encode(nftnl_rule* r, const MatchCtDirection& m) {
    uint8_t dir = m.reply ? 1 : 0;  // IP_CT_DIR_ORIGINAL / IP_CT_DIR_REPLY
    ct(r, NFT_CT_DIRECTION);
    cmp(r, NFT_CMP_EQ, &dir, 1);
}

void encode(nftnl_rule* r, const MatchFibDaddrLocal& m) {
    auto* e = add(r, "fib");
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, R1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
    uint32_t local = RTN_LOCAL;
    cmp(r, m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &local, 4);
}

void encode(nftnl_rule* r, const MatchIcmpType& m) {
    uint8_t proto = m.family == Family::V4 ? uint8_t(IPPROTO_ICMP) : uint8_t(IPPROTO_ICMPV6);
    meta(r, NFT_META_L4PROTO);
    cmp(r, NFT_CMP_EQ, &proto, 1);
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
    cmp(r, m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &m.type, 1);
}

void encode(nftnl_rule* r, const CounterRef& c) {
    if (c.name.empty())
        throw std::invalid_argument("counter reference without a name");
    auto* e = add(r, "objref");
    nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
    nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, c.name.c_str());
}

void encode(nftnl_rule* r, const Log& l) {
    // The kernel keeps at most 127 characters of a prefix (NF_LOG_PREFIXLEN - 1).
    if (l.prefix.size() > 127)
        throw std::invalid_argument("log prefix longer than 127 characters");
    auto* e = add(r, "log");
    if (!l.prefix.empty())
        nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, l.prefix.c_str());
    if (l.group)
        nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, *l.group);
}

void encode(nftnl_rule* r, const Limit& l) {
    if (l.rate == 0)
        throw std::invalid_argument("limit rate 0");
    uint64_t unit = l.per == Limit::Per::Second   ? 1
                    : l.per == Limit::Per::Minute ? 60
                    : l.per == Limit::Per::Hour   ? 3600
                                                  : 86400;
    auto* e = add(r, "limit");
    nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, l.rate);
    nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, unit);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, l.burst);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
}

void encode(nftnl_rule* r, const Reject& j) {
    uint32_t type = NFT_REJECT_ICMPX_UNREACH;
    uint8_t code = 0;
    using K = Reject::Kind;
    if (j.kind == K::TcpReset) {
        uint8_t tcp = IPPROTO_TCP;
        meta(r, NFT_META_L4PROTO);
        cmp(r, NFT_CMP_EQ, &tcp, 1);
        type = NFT_REJECT_TCP_RST;
    } else if (!j.family) {
        code = j.kind == K::PortUnreachable   ? NFT_REJECT_ICMPX_PORT_UNREACH
               : j.kind == K::AdminProhibited ? NFT_REJECT_ICMPX_ADMIN_PROHIBITED
                                              : NFT_REJECT_ICMPX_HOST_UNREACH;
    } else if (*j.family == Family::V4) {
        type = NFT_REJECT_ICMP_UNREACH;
        code = j.kind == K::PortUnreachable   ? ICMP_PORT_UNREACH
               : j.kind == K::AdminProhibited ? ICMP_PKT_FILTERED
                                              : ICMP_HOST_UNREACH;
    } else {
        type = NFT_REJECT_ICMP_UNREACH;
        code = j.kind == K::PortUnreachable   ? ICMP6_DST_UNREACH_NOPORT
               : j.kind == K::AdminProhibited ? ICMP6_DST_UNREACH_ADMIN
                                              : ICMP6_DST_UNREACH_ADDR;
    }
    auto* e = add(r, "reject");
    nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
    nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
}

}  // namespace weft::kernel::nft
