#include "nft_model.hpp"

#include <linux/netfilter.h>

#include <algorithm>
#include <stdexcept>

#include "nft_concat.hpp"
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

namespace {

// Concatenations are not checked here: their keys are boxes, not a line, so neighbours in key
// order say nothing; the kernel's pipapo set refuses an overlap itself (the batch fails whole).
bool overlap(const ElementKey& a, const ElementKey& b) {
    if (auto* p = std::get_if<Prefix>(&a)) {
        auto* q = std::get_if<Prefix>(&b);
        return q && p->overlaps(*q);
    }
    if (auto* p = std::get_if<PortRange>(&a)) {
        auto* q = std::get_if<PortRange>(&b);
        return q && p->first <= q->last && q->first <= p->last;
    }
    return false;
}

std::string keyText(const ElementKey& k) {
    if (auto* c = std::get_if<Concat>(&k))
        return concatText(*c);
    if (auto* p = std::get_if<Prefix>(&k))
        return p->str();
    if (auto* r = std::get_if<PortRange>(&k))
        return r->str();
    return "?";
}

}  // namespace

// Sorted keys overlap somewhere only if some neighbours do (a key that covers a later one
// covers everything in between), so checking each added element against its two neighbours
// is enough when the rest of the set was clean.
namespace {

[[noreturn]] void overlapping(const Set& set, const ElementKey& a, const ElementKey& b) {
    throw std::invalid_argument("set " + set.name + ": elements " + keyText(a) + " and " +
                                keyText(b) +
                                " overlap (an interval set needs disjoint elements; build it "
                                "from a PrefixSet)");
}

}  // namespace

void checkNoOverlap(const Set& set, const std::vector<Element>& added) {
    if (!set.interval)
        return;
    for (auto& e : added) {
        for (auto* n : {set.elements.before(e.key), set.elements.after(e.key)}) {
            if (n && overlap(n->key, e.key))
                overlapping(set, n->key, e.key);
        }
    }
}

void checkNoOverlap(const Set& set) {
    if (!set.interval)
        return;
    const Element* prev = nullptr;
    for (auto& e : set.elements) {
        if (prev && overlap(prev->key, e.key))
            overlapping(set, prev->key, e.key);
        prev = &e;
    }
}

bool sameDefinition(const Set& a, const Set& b) {
    // A concatenation's keyType is ignored (and not read back).
    bool sameKey = a.concat == b.concat && (!a.concat.empty() || a.keyType == b.keyType);
    return a.name == b.name && sameKey && a.dataType == b.dataType && a.interval == b.interval &&
           a.timeout == b.timeout;
}

TableView viewOf(const Table& t) {
    TableView v;
    v.family = t.family;
    v.name = t.name;
    for (auto& s : t.sets) {
        v.sets[s.name] = s;  // shares the elements' chunks
    }
    v.counters.insert(t.counters.begin(), t.counters.end());
    for (auto& c : t.chains) {
        ChainView cv{c.base, {}};
        for (auto& r : c.rules)
            cv.ruleHashes.push_back(ruleHash(r));
        v.chains[c.name] = std::move(cv);
    }
    return v;
}

}  // namespace weft::kernel::nft
