#include "nft_lower.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "nft_expr.hpp"
#include "nft_model.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;

namespace {

// The mask of a copy between ct mark and meta mark that needs the per-bit pattern, or 0.
uint32_t partialCopyMask(const Expr& x) {
    if (auto* m = std::get_if<MarkFromCt>(&x))
        return m->mask != 0xffffffff ? m->mask : 0;
    if (auto* m = std::get_if<CtMarkFromMark>(&x))
        return m->mask != 0xffffffff ? m->mask : 0;
    return 0;
}

// The per-bit pattern of a copy under `mask`: clear the bits, then set each one the source has.
std::vector<Rule> perBit(const Expr& copy, uint32_t mask) {
    bool toMeta = std::holds_alternative<MarkFromCt>(copy);
    std::vector<Rule> out;
    out.push_back(toMeta ? Rule{}.setMark(Mark{0, mask}) : Rule{}.setCtMark(Mark{0, mask}));
    for (uint32_t bit = 1; bit; bit <<= 1) {
        if (!(mask & bit))
            continue;
        Mark m{bit, bit};
        out.push_back(toMeta ? Rule{}.ctMark(m).setMark(m) : Rule{}.mark(m).setCtMark(m));
    }
    return out;
}

const HashMark* maskedHash(const Expr& x) {
    auto* h = std::get_if<HashMark>(&x);
    return h && h->mask != 0xffffffff && !h->map.empty() ? h : nullptr;
}

std::string hex8(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

std::string chainFor(const Rule& r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%012llx",
                  static_cast<unsigned long long>(ruleHash(r) & 0xffffffffffffull));
    return std::string(kCoreChainPrefix) + "mark_" + buf;
}

// What the lowering of one table collects: the chains it adds, and the bucket maps of masked
// HashMarks turned into verdict maps (map -> the mark target and mask its values go under).
struct Lowering {
    std::map<std::string, Chain> added;
    struct HashMap {
        MarkTarget target;
        uint32_t mask;
        std::vector<Expr> rest;  // what followed the HashMark in its rule
    };
    std::map<std::string, HashMap> hashMaps;
};

Rule lowerRule(const std::string& chain, const Rule& rule, Lowering& low);

void refuseReturnAfter(const std::string& chain, const Rule& rule, size_t i, const char* what) {
    for (size_t j = i + 1; j < rule.exprs.size(); ++j) {
        auto* v = std::get_if<VerdictStmt>(&rule.exprs[j]);
        if (v && v->verdict == Verdict::Return) {
            throw std::invalid_argument("chain " + chain + ", rule " + ruleSummary(rule) +
                                        ": `return` after " + what);
        }
    }
}

// A masked HashMark: the rule looks the hash up in the map, now a verdict map whose elements
// jump to a chain per value (added when the map is rewritten, see lowerHashMaps).
Rule lowerHash(const std::string& chain, const Rule& rule, size_t i, Lowering& low) {
    const HashMark& h = *maskedHash(rule.exprs[i]);
    refuseReturnAfter(chain, rule, i, "a hash into the mark under a partial mask");
    std::vector<Expr> rest(rule.exprs.begin() + long(i) + 1, rule.exprs.end());
    auto [it, fresh] = low.hashMaps.try_emplace(h.map, Lowering::HashMap{h.target, h.mask, rest});
    if (!fresh &&
        (it->second.target != h.target || it->second.mask != h.mask || it->second.rest != rest)) {
        throw std::invalid_argument("chain " + chain + ", rule " + ruleSummary(rule) + ": map " +
                                    h.map +
                                    " is used by two hashes into the mark that differ in target, "
                                    "mask or what follows");
    }
    Rule out;
    out.exprs.assign(rule.exprs.begin(), rule.exprs.begin() + long(i));
    out.add(HashVerdictMap{h, h.map});
    out.comment = rule.comment;
    return out;
}

// The chain a bucket map element of value `v` jumps to: set v under the mask, then the rest.
std::string valueChain(uint32_t v, const Lowering::HashMap& hm, Lowering& low) {
    Rule set = hm.target == MarkTarget::Ct ? Rule{}.setCtMark(Mark{v, hm.mask})
                                           : Rule{}.setMark(Mark{v, hm.mask});
    std::string name = std::string(kCoreChainPrefix) +
                       (hm.target == MarkTarget::Ct ? "ctmark_" : "mark_") + hex8(v) + "_" +
                       hex8(hm.mask);
    if (!hm.rest.empty()) {
        Rule whole = set;
        for (auto& x : hm.rest)
            whole.add(x);
        name += "_" + chainFor(whole).substr(std::string(kCoreChainPrefix).size() + 5, 8);
    }
    if (!low.added.count(name)) {
        Chain c{name, std::nullopt, {set}};
        if (!hm.rest.empty()) {
            Rule rest;
            rest.exprs = hm.rest;
            c.rules.push_back(lowerRule(name, rest, low));
        }
        low.added.emplace(name, std::move(c));
    }
    return name;
}

// Rewrites the maps of masked HashMarks into verdict maps jumping to the value chains.
void lowerHashMaps(Table& t, Lowering& low) {
    for (auto& [mapKey, hm] : low.hashMaps) {
        const std::string& mapName = mapKey;  // clang 14 cannot capture a structured binding
        auto s = std::find_if(t.sets.begin(), t.sets.end(),
                              [&](const Set& x) { return x.name == mapName; });
        if (s == t.sets.end() || s->dataType != DataType::Mark)
            throw std::invalid_argument("map " + mapName +
                                        ": a hash into the mark needs a map of data type mark "
                                        "in the same table");
        std::vector<Element> elements;
        elements.reserve(s->elements.size());
        for (auto& e : s->elements) {
            auto* v = e.data ? std::get_if<uint32_t>(&*e.data) : nullptr;
            if (!v)
                throw std::invalid_argument("map " + mapName + ": an element without a mark");
            if (*v & ~hm.mask)
                throw std::invalid_argument("map " + mapName + ": value " + hex8(*v) +
                                            " has bits outside the mask " + hex8(hm.mask));
            elements.push_back(Element{e.key, VerdictData{Verdict::Jump, valueChain(*v, hm, low)}});
        }
        s->dataType = DataType::Verdict;
        s->elements = ElementSet(std::move(elements));
    }
    for (auto& c : t.chains) {
        for (auto& r : c.rules) {
            for (auto& x : r.exprs) {
                auto* m = std::get_if<MapMark>(&x);
                auto* h = std::get_if<HashMark>(&x);
                std::string used = m ? m->map : h ? h->map : "";
                if (!used.empty() && low.hashMaps.count(used))
                    throw std::invalid_argument("map " + used +
                                                " is used both by a hash under a partial mask "
                                                "and by another mark statement");
            }
        }
    }
}

// Lowers one rule: returns what replaces it in its chain; adds the chains it needs.
Rule lowerRule(const std::string& chain, const Rule& rule, Lowering& low) {
    auto& added = low.added;
    size_t i = 0;
    while (i < rule.exprs.size() && !partialCopyMask(rule.exprs[i]) && !maskedHash(rule.exprs[i]))
        ++i;
    if (i == rule.exprs.size())
        return rule;
    if (maskedHash(rule.exprs[i]))
        return lowerHash(chain, rule, i, low);
    refuseReturnAfter(chain, rule, i, "a mark copy under a partial mask");
    std::string name = chainFor(rule);
    if (!added.count(name)) {
        Chain sub{name, std::nullopt, perBit(rule.exprs[i], partialCopyMask(rule.exprs[i]))};
        Rule rest;
        rest.exprs.assign(rule.exprs.begin() + long(i) + 1, rule.exprs.end());
        if (!rest.exprs.empty())
            sub.rules.push_back(lowerRule(name, rest, low));  // a second copy in the rest
        added.emplace(name, std::move(sub));
    }
    Rule head;
    head.exprs.assign(rule.exprs.begin(), rule.exprs.begin() + long(i));
    head.jump(name);
    head.comment = rule.comment;
    return head;
}

}  // namespace

bool needsLowering(const Table& t) {
    for (auto& c : t.chains) {
        if (c.name.rfind(kCoreChainPrefix, 0) == 0)
            return true;  // refused by lowerTable()
        for (auto& r : c.rules) {
            for (auto& x : r.exprs) {
                if (partialCopyMask(x) || maskedHash(x))
                    return true;
            }
        }
    }
    return false;
}

Table lowerTable(const Table& t) {
    Table out = t;
    Lowering low;
    for (auto& c : out.chains) {
        if (c.name.rfind(kCoreChainPrefix, 0) == 0) {
            throw std::invalid_argument("chain " + c.name + ": names starting with \"" +
                                        kCoreChainPrefix + "\" are reserved for weftd");
        }
        for (auto& r : c.rules)
            r = lowerRule(c.name, r, low);
    }
    lowerHashMaps(out, low);
    for (auto& [name, chain] : low.added)
        out.chains.push_back(std::move(chain));
    return out;
}

}  // namespace weft::kernel::nft
