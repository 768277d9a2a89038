// Small builders of libnftnl expressions, shared by the rule encoders (nft_expr*.cpp).
#pragma once

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace weft::kernel::nft::enc {

constexpr uint32_t R1 = NFT_REG_1;
constexpr uint32_t R2 = NFT_REG_2;

inline nftnl_expr* add(nftnl_rule* r, const char* name) {
    nftnl_expr* e = nftnl_expr_alloc(name);
    if (!e)
        throw std::runtime_error(std::string("nftnl_expr_alloc ") + name);
    nftnl_rule_add_expr(r, e);
    return e;
}

inline void meta(nftnl_rule* r, uint32_t key, uint32_t dreg = R1) {
    auto* e = add(r, "meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

inline void metaSet(nftnl_rule* r, uint32_t key, uint32_t sreg = R1) {
    auto* e = add(r, "meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
}

inline void ct(nftnl_rule* r, uint32_t key, uint32_t dreg = R1) {
    auto* e = add(r, "ct");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

inline void ctSet(nftnl_rule* r, uint32_t key, uint32_t sreg = R1) {
    auto* e = add(r, "ct");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
}

inline void cmp(nftnl_rule* r, uint32_t op, const void* data, uint32_t len, uint32_t sreg = R1) {
    auto* e = add(r, "cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

/// reg = (reg & mask) ^ xr, over `len` bytes.
inline void bitwise(nftnl_rule* r, const void* mask, const void* xr, uint32_t len) {
    auto* e = add(r, "bitwise");
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, R1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, R1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xr, len);
}

inline void payload(nftnl_rule* r, uint32_t base, uint32_t offset, uint32_t len,
                    uint32_t dreg = R1) {
    auto* e = add(r, "payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

inline void lookup(nftnl_rule* r, const std::string& set, bool negate,
                   std::optional<uint32_t> dreg = {}) {
    auto* e = add(r, "lookup");
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R1);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
    if (dreg)
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, *dreg);
    if (negate)
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
}

inline void immediate(nftnl_rule* r, const void* data, uint32_t len, uint32_t dreg = R1) {
    auto* e = add(r, "immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

}  // namespace weft::kernel::nft::enc
