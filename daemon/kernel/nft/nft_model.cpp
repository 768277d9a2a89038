#include "nft_model.hpp"

#include <linux/netfilter.h>

#include <algorithm>

#include "nft_expr.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;

uint16_t nfproto(TableFamily f) {
    switch (f) {
        case TableFamily::Inet:
            return NFPROTO_INET;
        case TableFamily::Ip:
            return NFPROTO_IPV4;
        case TableFamily::Ip6:
            return NFPROTO_IPV6;
    }
    return NFPROTO_INET;
}

std::string familyName(TableFamily f) {
    switch (f) {
        case TableFamily::Inet:
            return "inet";
        case TableFamily::Ip:
            return "ip";
        case TableFamily::Ip6:
            return "ip6";
    }
    return "inet";
}

std::optional<TableFamily> familyFrom(uint16_t p) {
    if (p == NFPROTO_INET)
        return TableFamily::Inet;
    if (p == NFPROTO_IPV4)
        return TableFamily::Ip;
    if (p == NFPROTO_IPV6)
        return TableFamily::Ip6;
    return std::nullopt;
}

uint64_t ruleHash(const Rule& rule) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : ruleText(rule)) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::vector<Element> canonicalElements(const Set& set) {
    std::vector<Element> out;
    bool prefixKeys = set.keyType == DataType::Ipv4Addr || set.keyType == DataType::Ipv6Addr;
    if (set.interval && prefixKeys && !set.dataType) {
        std::vector<Prefix> ps;
        for (auto& e : set.elements) {
            if (auto* p = std::get_if<Prefix>(&e.key))
                ps.push_back(*p);
        }
        PrefixSet merged(ps);
        for (auto& p : merged.prefixes())
            out.push_back(Element{p, {}});
        return out;
    }
    out = set.elements;
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end(), [](auto& a, auto& b) { return a.key == b.key; }),
              out.end());
    return out;
}

bool sameDefinition(const Set& a, const Set& b) {
    return a.name == b.name && a.keyType == b.keyType && a.dataType == b.dataType &&
           a.interval == b.interval && a.timeout == b.timeout;
}

TableView viewOf(const Table& t) {
    TableView v;
    v.family = t.family;
    v.name = t.name;
    for (auto& s : t.sets) {
        Set c = s;
        c.elements = canonicalElements(s);
        v.sets[s.name] = std::move(c);
    }
    for (auto& c : t.chains) {
        ChainView cv{c.base, {}};
        for (auto& r : c.rules)
            cv.ruleHashes.push_back(ruleHash(r));
        v.chains[c.name] = std::move(cv);
    }
    return v;
}

}  // namespace weft::kernel::nft
