#include "nft_expr.hpp"

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
constexpr uint32_t R1 = NFT_REG_1;

// (a & ~mask) | (b & mask) of two registers needs bitwise operations between registers: the
// kernel has them since 6.13, but libnftnl 1.2.4 cannot build them and nft 1.0.6 aborts when it
// lists a rule holding one. Only the whole mark can be copied here.
constexpr const char* kNoRegisterOps =
    ": combining two registers under a mask is not supported by this host's nftables "
    "(libnftnl 1.2.4 / nft 1.0.6); use mask 0xffffffff";

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}
constexpr uint32_t R2 = NFT_REG_2;

nftnl_expr* add(nftnl_rule* r, const char* name) {
    nftnl_expr* e = nftnl_expr_alloc(name);
    if (!e)
        throw std::runtime_error(std::string("nftnl_expr_alloc ") + name);
    nftnl_rule_add_expr(r, e);
    return e;
}

void meta(nftnl_rule* r, uint32_t key, uint32_t dreg = R1) {
    auto* e = add(r, "meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

void metaSet(nftnl_rule* r, uint32_t key, uint32_t sreg = R1) {
    auto* e = add(r, "meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
}

void ct(nftnl_rule* r, uint32_t key) {
    auto* e = add(r, "ct");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, R1);
}

void ctSet(nftnl_rule* r, uint32_t key) {
    auto* e = add(r, "ct");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, R1);
}

void cmp(nftnl_rule* r, uint32_t op, const void* data, uint32_t len, uint32_t sreg = R1) {
    auto* e = add(r, "cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

// reg = (reg & mask) ^ xr, over `len` bytes.
void bitwise(nftnl_rule* r, const void* mask, const void* xr, uint32_t len) {
    auto* e = add(r, "bitwise");
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, R1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, R1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xr, len);
}

void payload(nftnl_rule* r, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg = R1) {
    auto* e = add(r, "payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

void lookup(nftnl_rule* r, const std::string& set, bool negate, std::optional<uint32_t> dreg = {}) {
    auto* e = add(r, "lookup");
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R1);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
    if (dreg)
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, *dreg);
    if (negate)
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
}

void immediate(nftnl_rule* r, const void* data, uint32_t len, uint32_t dreg = R1) {
    auto* e = add(r, "immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
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
    // As nft compares an exact name: all IFNAMSIZ bytes, null-padded.
    char name[IFNAMSIZ] = {};
    std::memcpy(name, m.name.data(), m.name.size());
    cmp(r, m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ, name, IFNAMSIZ);
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

// A jhash over the source (and destination) address, or a round-robin counter, mod N.
void hashMark(nftnl_rule* r, const HashMark& h) {
    if (h.mask != 0xffffffff) {
        throw std::invalid_argument("HashMark under mask " + hex(h.mask) + kNoRegisterOps);
    }
    if (h.kind == HashMark::Kind::Numgen) {
        auto* e = add(r, "numgen");
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, R1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, h.modulus);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_INCREMENTAL);
    } else {
        bool v4 = h.family == Family::V4;
        bool both = h.kind == HashMark::Kind::JhashSaddrDaddr;
        // As nft loads "ip saddr . ip daddr": a concatenation in adjacent registers from
        // NFT_REG_2 on (its first 32-bit word is NFT_REG32_04).
        uint32_t len = v4 ? 4 : 16;
        payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, len, R2);
        if (both)
            payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 16 : 24, len,
                    v4 ? NFT_REG32_05 : NFT_REG_3);
        auto* e = add(r, "hash");
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SREG, R2);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_DREG, R1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_LEN, (v4 ? 4 : 16) * (both ? 2 : 1));
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_MODULUS, h.modulus);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_TYPE, NFT_HASH_JENKINS);
    }
    lookup(r, h.map, false, R1);
    metaSet(r, NFT_META_MARK);
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
                } else if constexpr (std::is_same_v<T, Log>) {
                    auto* l = add(r, "log");
                    if (!e.prefix.empty())
                        nftnl_expr_set_str(l, NFTNL_EXPR_LOG_PREFIX, e.prefix.c_str());
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
                } else if constexpr (std::is_same_v<T, HashMark>) {
                    hashMark(r, e);
                } else if constexpr (std::is_same_v<T, ClampMss>) {
                    clampMss(r, e);
                } else if constexpr (std::is_same_v<T, Nat>) {
                    nat(r, e);
                } else if constexpr (std::is_same_v<T, VerdictStmt>) {
                    verdict(r, e.verdict, e.chain);
                }
            },
            x);
    }
}

std::string ruleSummary(const weft::nft::Rule& rule) {
    std::string s = rule.comment.empty() ? "" : "\"" + rule.comment + "\"";
    auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
    for (auto& x : rule.exprs) {
        if (auto* a = std::get_if<MatchAddr>(&x); a && !a->set.empty())
            add("@" + a->set);
        if (auto* p = std::get_if<MatchPort>(&x); p && !p->set.empty())
            add("@" + p->set);
        if (auto* h = std::get_if<HashMark>(&x))
            add("map @" + h->map);
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
                    o << e.prefix;
                } else if constexpr (std::is_same_v<T, SetMark> || std::is_same_v<T, SetCtMark>) {
                    o << e.mark.str();
                } else if constexpr (std::is_same_v<T, MarkFromCt> ||
                                     std::is_same_v<T, CtMarkFromMark>) {
                    o << e.mask;
                } else if constexpr (std::is_same_v<T, HashMark>) {
                    o << int(e.kind) << int(e.family) << e.modulus << e.map << e.mask;
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
