#include "nft_expr.hpp"

#include "nft_expr_parts.hpp"
#include "nft_expr_util.hpp"

#include <arpa/inet.h>
#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace weft::kernel::nft {
namespace {

using namespace weft::nft;
using namespace enc;

// Under a partial mask lowerTable() has replaced MarkFromCt and CtMarkFromMark by the per-bit
// pattern before a rule gets here; a whole-word copy is all that is left to encode.
constexpr const char* kNoRegisterOps = ": a partial mask must be lowered to the per-bit pattern";

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

// Matches `mark & mask == value` on a 32-bit register loaded before.
void maskedCompare(nftnl_rule* r, const Mark& m, bool negate) {
    if (m.mask != 0xffffffff) {
        uint32_t zero = 0;
        bitwise(r, &m.mask, &zero, 4);
    }
    cmp(r, negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &m.value, 4);
}

// reg = (reg & ~mask) ^ value: sets the bits of `value` under `mask`, keeps the others.
void maskedSet(nftnl_rule* r, const Mark& m) {
    uint32_t keep = ~m.mask;
    bitwise(r, &keep, &m.value, 4);
}

void addrMatch(nftnl_rule* r, const MatchAddr& m) {
    bool v4 = m.family == Family::V4;
    uint32_t off = v4 ? (m.dir == Dir::Src ? 12 : 16) : (m.dir == Dir::Src ? 8 : 24);
    uint32_t len = v4 ? 4 : 16;
    payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, len);
    if (!m.set.empty())
        return lookup(r, m.set, m.negate);
    if (!m.prefix || m.prefix->family() != m.family)
        throw std::invalid_argument("address match without prefix or set");
    if (m.prefix->length < len * 8) {
        uint8_t mask[16] = {}, zero[16] = {};
        for (unsigned i = 0; i < m.prefix->length; ++i)
            mask[i / 8] |= uint8_t(0x80 >> (i % 8));
        bitwise(r, mask, zero, len);
    }
    cmp(r, m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, m.prefix->address.bytes.data(), len);
}

void portMatch(nftnl_rule* r, const MatchPort& m) {
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, m.dir == Dir::Src ? 0 : 2, 2);
    if (!m.set.empty())
        return lookup(r, m.set, m.negate);
    if (!m.range)
        throw std::invalid_argument("port match without range or set");
    uint16_t a = htons(m.range->first), b = htons(m.range->last);
    if (m.range->first == m.range->last)
        return cmp(r, m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, &a, 2);
    auto* e = add(r, "range");
    nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, R1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, m.negate ? NFT_RANGE_NEQ : NFT_RANGE_EQ);
    nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &a, 2);
    nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &b, 2);
}

void ifnameMatch(nftnl_rule* r, const MatchIfName& m) {
    meta(r, m.dir == Dir::Src ? NFT_META_IIFNAME : NFT_META_OIFNAME);
    if (m.name.empty() || m.name.size() >= IFNAMSIZ)
        throw std::invalid_argument("interface name \"" + m.name + "\" is not 1 to 15 characters");
    // As nft compares: an exact name is all IFNAMSIZ bytes, null-padded; "veth*" is the
    // bytes before the '*' only.
    char name[IFNAMSIZ] = {};
    bool wildcard = m.name.back() == '*';
    size_t length = wildcard ? m.name.size() - 1 : IFNAMSIZ;
    if (wildcard && length == 0)
        throw std::invalid_argument("interface pattern \"*\" matches every name: leave it out");
    std::memcpy(name, m.name.data(), wildcard ? length : m.name.size());
    cmp(r, m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, name, length);
}

void verdict(nftnl_rule* r, Verdict v, const std::string& chain) {
    int code = NF_ACCEPT;
    switch (v) {
        case Verdict::Accept:
            code = NF_ACCEPT;
            break;
        case Verdict::Drop:
            code = NF_DROP;
            break;
        case Verdict::Return:
            code = NFT_RETURN;
            break;
        case Verdict::Continue:
            code = NFT_CONTINUE;
            break;
        case Verdict::Jump:
            code = NFT_JUMP;
            break;
        case Verdict::Goto:
            code = NFT_GOTO;
            break;
    }
    auto* e = add(r, "immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, uint32_t(code));
    if (v == Verdict::Jump || v == Verdict::Goto)
        nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain.c_str());
}

void clampMss(nftnl_rule* r, const ClampMss& c) {
    uint8_t tcp = IPPROTO_TCP;
    meta(r, NFT_META_L4PROTO);
    cmp(r, NFT_CMP_EQ, &tcp, 1);
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);  // tcp flags
    uint8_t syn = 0x02, zero = 0;
    bitwise(r, &syn, &zero, 1);
    cmp(r, NFT_CMP_NEQ, &zero, 1);
    if (c.size) {
        uint16_t v = htons(*c.size);
        immediate(r, &v, 2);
    } else {
        auto* rt = add(r, "rt");
        nftnl_expr_set_u32(rt, NFTNL_EXPR_RT_KEY, NFT_RT_TCPMSS);
        nftnl_expr_set_u32(rt, NFTNL_EXPR_RT_DREG, R1);
        // The route's MSS is in host order; the option on the wire is big-endian.
        auto* b = add(r, "byteorder");
        nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_SREG, R1);
        nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_DREG, R1);
        nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
        nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_LEN, 2);
        nftnl_expr_set_u32(b, NFTNL_EXPR_BYTEORDER_SIZE, 2);
    }
    auto* e = add(r, "exthdr");
    nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_SREG, R1);
    nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, 2);  // maxseg
    nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, 2);
    nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, 2);
    nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
}

void nat(nftnl_rule* r, const Nat& n) {
    if (n.kind == Nat::Kind::Masquerade) {
        add(r, "masq");
        return;
    }
    // Operands are loaded into registers before the nat expression reads them.
    if (n.address)
        immediate(r, n.address->bytes.data(), n.address->size(), R1);
    if (n.port) {
        uint16_t p = htons(*n.port);
        immediate(r, &p, 2, R2);
    }
    auto* e = add(r, "nat");
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE,
                       n.kind == Nat::Kind::Snat ? NFT_NAT_SNAT : NFT_NAT_DNAT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
                       n.family == Family::V4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
    if (n.address)
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, R1);
    if (n.port) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, R2);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
    }
}

}  // namespace

void appendExprs(nftnl_rule* r, const weft::nft::Rule& rule) {
    for (auto& x : rule.exprs) {
        std::visit(
            [&](auto& e) {
                using T = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<T, MatchMark>) {
                    meta(r, NFT_META_MARK);
                    maskedCompare(r, e.mark, e.negate);
                } else if constexpr (std::is_same_v<T, MatchCtMark>) {
                    ct(r, NFT_CT_MARK);
                    maskedCompare(r, e.mark, e.negate);
                } else if constexpr (std::is_same_v<T, MatchIfName>) {
                    ifnameMatch(r, e);
                } else if constexpr (std::is_same_v<T, MatchL4Proto>) {
                    meta(r, NFT_META_L4PROTO);
                    cmp(r, NFT_CMP_EQ, &e.proto, 1);
                } else if constexpr (std::is_same_v<T, MatchFamily>) {
                    uint8_t f = e.family == Family::V4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
                    meta(r, NFT_META_NFPROTO);
                    cmp(r, NFT_CMP_EQ, &f, 1);
                } else if constexpr (std::is_same_v<T, MatchAddr>) {
                    addrMatch(r, e);
                } else if constexpr (std::is_same_v<T, MatchPort>) {
                    portMatch(r, e);
                } else if constexpr (std::is_same_v<T, MatchCtState>) {
                    uint32_t zero = 0;
                    ct(r, NFT_CT_STATE);
                    bitwise(r, &e.states, &zero, 4);
                    cmp(r, NFT_CMP_NEQ, &zero, 4);
                } else if constexpr (std::is_same_v<T, Counter>) {
                    add(r, "counter");
                } else if constexpr (std::is_same_v<T, SetMark>) {
                    meta(r, NFT_META_MARK);
                    maskedSet(r, e.mark);
                    metaSet(r, NFT_META_MARK);
                } else if constexpr (std::is_same_v<T, SetCtMark>) {
                    ct(r, NFT_CT_MARK);
                    maskedSet(r, e.mark);
                    ctSet(r, NFT_CT_MARK);
                } else if constexpr (std::is_same_v<T, MarkFromCt>) {
                    if (e.mask != 0xffffffff)
                        throw std::invalid_argument("MarkFromCt under mask " + hex(e.mask) +
                                                    kNoRegisterOps);
                    ct(r, NFT_CT_MARK);
                    metaSet(r, NFT_META_MARK);
                } else if constexpr (std::is_same_v<T, CtMarkFromMark>) {
                    if (e.mask != 0xffffffff)
                        throw std::invalid_argument("CtMarkFromMark under mask " + hex(e.mask) +
                                                    kNoRegisterOps);
                    meta(r, NFT_META_MARK);
                    ctSet(r, NFT_CT_MARK);
                } else if constexpr (std::is_same_v<T, ClampMss>) {
                    clampMss(r, e);
                } else if constexpr (std::is_same_v<T, Nat>) {
                    nat(r, e);
                } else if constexpr (std::is_same_v<T, VerdictStmt>) {
                    verdict(r, e.verdict, e.chain);
                } else {
                    encode(r, e);  // nft_expr_lookup.cpp, nft_expr_stmt.cpp
                }
            },
            x);
    }
}

std::vector<std::string> setsUsed(const weft::nft::Rule& rule) {
    std::vector<std::string> out;
    for (auto& x : rule.exprs) {
        std::string name;
        if (auto* a = std::get_if<MatchAddr>(&x))
            name = a->set;
        else if (auto* p = std::get_if<MatchPort>(&x))
            name = p->set;
        else if (auto* h = std::get_if<HashMark>(&x))
            name = h->map;
        else if (auto* m = std::get_if<MatchSet>(&x))
            name = m->set;
        else if (auto* v = std::get_if<VerdictMap>(&x))
            name = v->map;
        else if (auto* k = std::get_if<MapMark>(&x))
            name = k->map;
        else if (auto* hv = std::get_if<HashVerdictMap>(&x))
            name = hv->map;
        if (!name.empty())
            out.push_back(name);
    }
    return out;
}

std::string ruleSummary(const weft::nft::Rule& rule) {
    std::string s = rule.comment.empty() ? "" : "\"" + rule.comment + "\"";
    auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
    for (auto& name : setsUsed(rule))
        add("@" + name);
    for (auto& x : rule.exprs) {
        if (auto* v = std::get_if<VerdictStmt>(&x)) {
            if (v->verdict == Verdict::Jump)
                add("jump " + v->chain);
            if (v->verdict == Verdict::Goto)
                add("goto " + v->chain);
        }
    }
    return s.empty() ? "unnamed" : s;
}

std::string ruleText(const weft::nft::Rule& rule) {
    std::ostringstream o;
    auto fields = [](const std::vector<Field>& f) {
        std::string t;
        for (auto x : f)
            t += std::to_string(int(x)) + ".";
        return t;
    };
    auto opt = [](const auto& p) { return p ? p->str() : std::string("-"); };
    for (auto& x : rule.exprs) {
        o << x.index() << "(";
        std::visit(
            [&](auto& e) {
                using T = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<T, MatchMark> || std::is_same_v<T, MatchCtMark>) {
                    o << e.mark.str() << e.negate;
                } else if constexpr (std::is_same_v<T, MatchIfName>) {
                    o << int(e.dir) << e.name << e.negate;
                } else if constexpr (std::is_same_v<T, MatchL4Proto>) {
                    o << int(e.proto);
                } else if constexpr (std::is_same_v<T, MatchFamily>) {
                    o << int(e.family);
                } else if constexpr (std::is_same_v<T, MatchAddr>) {
                    o << int(e.dir) << int(e.family) << opt(e.prefix) << "@" << e.set << e.negate;
                } else if constexpr (std::is_same_v<T, MatchPort>) {
                    o << int(e.dir) << opt(e.range) << "@" << e.set << e.negate;
                } else if constexpr (std::is_same_v<T, MatchCtState>) {
                    o << e.states;
                } else if constexpr (std::is_same_v<T, Log>) {
                    o << e.prefix << "#" << (e.group ? int(*e.group) : -1);
                } else if constexpr (std::is_same_v<T, SetMark> || std::is_same_v<T, SetCtMark>) {
                    o << e.mark.str();
                } else if constexpr (std::is_same_v<T, MarkFromCt> ||
                                     std::is_same_v<T, CtMarkFromMark>) {
                    o << e.mask;
                } else if constexpr (std::is_same_v<T, HashMark>) {
                    o << int(e.kind) << fields(e.fields) << e.modulus << "/"
                      << (e.seed ? int64_t(*e.seed) : -1) << "/" << e.offset << "@" << e.map
                      << int(e.target) << e.mask;
                } else if constexpr (std::is_same_v<T, MatchSet>) {
                    o << fields(e.key) << "@" << e.set << e.negate;
                } else if constexpr (std::is_same_v<T, VerdictMap>) {
                    o << fields(e.key) << "@" << e.map;
                } else if constexpr (std::is_same_v<T, HashVerdictMap>) {
                    o << int(e.hash.kind) << fields(e.hash.fields) << e.hash.modulus << "/"
                      << (e.hash.seed ? int64_t(*e.hash.seed) : -1) << "/" << e.hash.offset << "@"
                      << e.map;
                } else if constexpr (std::is_same_v<T, MapMark>) {
                    o << fields(e.key) << "@" << e.map << int(e.target);
                } else if constexpr (std::is_same_v<T, MatchCtStatus>) {
                    o << e.bits << e.negate;
                } else if constexpr (std::is_same_v<T, MatchCtDirection>) {
                    o << e.reply;
                } else if constexpr (std::is_same_v<T, MatchFibDaddrLocal>) {
                    o << e.negate;
                } else if constexpr (std::is_same_v<T, MatchIcmpType>) {
                    o << int(e.family) << int(e.type) << e.negate;
                } else if constexpr (std::is_same_v<T, CounterRef>) {
                    o << e.name;
                } else if constexpr (std::is_same_v<T, Limit>) {
                    o << int(e.per) << "/" << e.rate << "/" << e.burst;
                } else if constexpr (std::is_same_v<T, Reject>) {
                    o << int(e.kind) << (e.family ? int(*e.family) : 0);
                } else if constexpr (std::is_same_v<T, ClampMss>) {
                    o << (e.size ? int(*e.size) : 0);
                } else if constexpr (std::is_same_v<T, Nat>) {
                    o << int(e.kind) << int(e.family) << opt(e.address)
                      << (e.port ? int(*e.port) : 0);
                } else if constexpr (std::is_same_v<T, VerdictStmt>) {
                    o << int(e.verdict) << e.chain;
                }
            },
            x);
        o << ")";
    }
    o << "#" << rule.comment;
    return o.str();
}

}  // namespace weft::kernel::nft
