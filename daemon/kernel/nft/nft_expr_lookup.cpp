// Lookups over concatenated keys (sets, verdict maps, data maps) and hashes into marks, with
// the register layout nft itself uses, so `nft list` prints them as nft's own rules.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "nft_expr_parts.hpp"
#include "nft_expr_util.hpp"
#include "nft_messages.hpp"
#include "nft_model.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;
using namespace enc;

namespace {

// The register nft names for 32-bit word `w` of the register file: a 128-bit register where
// one starts (NFT_REG_1 = words 0-3), a 32-bit one (NFT_REG32_00 + w) elsewhere.
uint32_t regForWord(uint32_t w) {
    return w % 4 == 0 ? NFT_REG_1 + w / 4 : NFT_REG32_00 + w;
}

void loadField(nftnl_rule* r, Field f, uint32_t dreg) {
    switch (f) {
        case Field::IpSaddr:
            return payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, dreg);
        case Field::IpDaddr:
            return payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, dreg);
        case Field::Ip6Saddr:
            return payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, dreg);
        case Field::Ip6Daddr:
            return payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, dreg);
        case Field::L4Proto:
            return meta(r, NFT_META_L4PROTO, dreg);
        case Field::Sport:
            return payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, dreg);
        case Field::Dport:
            return payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg);
        case Field::IifName:
            return meta(r, NFT_META_IIFNAME, dreg);
        case Field::OifName:
            return meta(r, NFT_META_OIFNAME, dreg);
        case Field::Mark:
            return meta(r, NFT_META_MARK, dreg);
        case Field::CtMark:
            return ct(r, NFT_CT_MARK, dreg);
    }
}

void checkKey(const std::vector<Field>& key, const char* what) {
    if (key.empty())
        throw std::invalid_argument(std::string(what) + " without a key");
    uint32_t bytes = 0;
    for (auto f : key)
        bytes += (typeLen(fieldType(f)) + 3) / 4 * 4;
    if (bytes > 64)  // NFT_REG32_00 .. NFT_REG32_15
        throw std::invalid_argument(std::string(what) + ": key of " + std::to_string(bytes) +
                                    " bytes exceeds the 64 bytes of nftables' registers");
}

void writeMark(nftnl_rule* r, MarkTarget t) {
    if (t == MarkTarget::Meta)
        metaSet(r, NFT_META_MARK);
    else
        ctSet(r, NFT_CT_MARK);
}

}  // namespace

std::string fieldName(Field f) {
    switch (f) {
        case Field::IpSaddr:
            return "ip saddr";
        case Field::IpDaddr:
            return "ip daddr";
        case Field::Ip6Saddr:
            return "ip6 saddr";
        case Field::Ip6Daddr:
            return "ip6 daddr";
        case Field::L4Proto:
            return "meta l4proto";
        case Field::Sport:
            return "th sport";
        case Field::Dport:
            return "th dport";
        case Field::IifName:
            return "iifname";
        case Field::OifName:
            return "oifname";
        case Field::Mark:
            return "meta mark";
        case Field::CtMark:
            return "ct mark";
    }
    return "?";
}

DataType fieldType(Field f) {
    switch (f) {
        case Field::IpSaddr:
        case Field::IpDaddr:
            return DataType::Ipv4Addr;
        case Field::Ip6Saddr:
        case Field::Ip6Daddr:
            return DataType::Ipv6Addr;
        case Field::L4Proto:
            return DataType::InetProto;
        case Field::Sport:
        case Field::Dport:
            return DataType::InetService;
        case Field::IifName:
        case Field::OifName:
            return DataType::IfName;
        case Field::Mark:
        case Field::CtMark:
            return DataType::Mark;
    }
    return DataType::Mark;
}

uint32_t loadFields(nftnl_rule* r, const std::vector<Field>& key, uint32_t firstWord) {
    uint32_t word = firstWord;
    for (auto f : key) {
        loadField(r, f, regForWord(word));
        word += (typeLen(fieldType(f)) + 3) / 4;
    }
    return (word - firstWord) * 4;
}

void encode(nftnl_rule* r, const MatchSet& m) {
    checkKey(m.key, "set match");
    if (m.set.empty())
        throw std::invalid_argument("set match without a set name");
    loadFields(r, m.key);
    lookup(r, m.set, m.negate);
}

void encode(nftnl_rule* r, const VerdictMap& m) {
    checkKey(m.key, "verdict map");
    if (m.map.empty())
        throw std::invalid_argument("verdict map without a map name");
    loadFields(r, m.key);
    lookup(r, m.map, false, NFT_REG_VERDICT);
}

void encode(nftnl_rule* r, const MapMark& m) {
    checkKey(m.key, "mark map");
    if (m.map.empty())
        throw std::invalid_argument("mark map without a map name");
    loadFields(r, m.key);
    lookup(r, m.map, false, R1);
    writeMark(r, m.target);
}

namespace {

// The hash (or counter) of `h` into NFT_REG_1.
void hashInto(nftnl_rule* r, const HashMark& h) {
    if (h.modulus == 0)
        throw std::invalid_argument("hash modulus 0");
    if (h.kind == HashMark::Kind::Numgen) {
        auto* e = add(r, "numgen");
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, R1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, h.modulus);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_INCREMENTAL);
        if (h.offset)
            nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, h.offset);
    } else {
        uint32_t len = 0;
        if (h.kind == HashMark::Kind::Jhash) {
            checkKey(h.fields, "jhash");
            // nft hashes a concatenation loaded from NFT_REG_2 (32-bit word 4) on.
            len = loadFields(r, h.fields, 4);
        }
        auto* e = add(r, "hash");
        if (h.kind == HashMark::Kind::Jhash) {
            nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SREG, R2);
            nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_LEN, len);
        }
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_DREG, R1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_MODULUS, h.modulus);
        if (h.seed)
            nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SEED, *h.seed);
        if (h.offset)
            nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_OFFSET, h.offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_TYPE,
                           h.kind == HashMark::Kind::Jhash ? NFT_HASH_JENKINS : NFT_HASH_SYM);
    }
}

}  // namespace

void encode(nftnl_rule* r, const HashMark& h) {
    // A partial mask with a map was lowered into a HashVerdictMap (nft_lower.cpp).
    if (h.mask != 0xffffffff)
        throw std::invalid_argument(
            "a hash into the mark under a partial mask needs a map: nftables writes the whole "
            "word");
    hashInto(r, h);
    if (!h.map.empty())
        lookup(r, h.map, false, R1);
    writeMark(r, h.target);
}

void encode(nftnl_rule* r, const HashVerdictMap& m) {
    if (m.map.empty())
        throw std::invalid_argument("hash verdict map without a map name");
    hashInto(r, m.hash);
    lookup(r, m.map, false, NFT_REG_VERDICT);
}

}  // namespace weft::kernel::nft
