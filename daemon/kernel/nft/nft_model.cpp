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

namespace {

// Updates `hashes` to those of `rules`, taking the hash of each rule equal to the memo's at the
// same position, and brings the memo up to date (copying only the rules that differ). True when
// anything differed.
bool rehash(std::vector<Rule>& memo, std::vector<uint64_t>& hashes,
            const std::vector<Rule>& rules) {
    bool changed = memo.size() != rules.size() || hashes.size() != rules.size();
    size_t same = std::min(memo.size(), hashes.size());
    memo.resize(rules.size());
    hashes.resize(rules.size());
    for (size_t i = 0; i < rules.size(); ++i) {
        if (i < same && memo[i] == rules[i])
            continue;
        memo[i] = rules[i];
        hashes[i] = ruleHash(rules[i]);
        changed = true;
    }
    return changed;
}

}  // namespace

TableView viewOf(const Table& t) {
    TableView v;
    v.family = t.family;
    v.name = t.name;
    for (auto& s : t.sets)
        v.sets[s.name] = s;  // shares the elements' chunks
    v.counters.insert(t.counters.begin(), t.counters.end());
    for (auto& c : t.chains) {
        ChainView cv{c.base, {}};
        cv.ruleHashes.reserve(c.rules.size());
        for (auto& r : c.rules)
            cv.ruleHashes.push_back(ruleHash(r));
        v.chains[c.name] = std::move(cv);
    }
    return v;
}

namespace {

// Do `a` and `b` list the same names in the same order?
template <typename A, typename B>
bool sameNames(const std::vector<A>& a, const std::vector<B>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](auto& x, auto& y) { return x.name == y.name; });
}

}  // namespace

void DesiredView::update(const Table& t) {
    ++generation_;
    changes_ = {};
    if (view_.family != t.family || view_.name != t.name) {
        // Another table (the engine keeps one view per table, so only the first time).
        auto generation = generation_;
        *this = DesiredView{};
        generation_ = generation;
        view_.family = t.family;
        view_.name = t.name;
    }
    updateChains(t.chains);
    updateSets(t.sets);
    view_.counters = {t.counters.begin(), t.counters.end()};
}

void DesiredView::updateChains(const std::vector<weft::nft::Chain>& chains) {
    if (sameNames(chains_, chains)) {
        // The usual case: only chains whose base or rules differ touch the view.
        for (size_t i = 0; i < chains.size(); ++i) {
            auto& m = chains_[i];
            auto& c = chains[i];
            bool changed = rehash(m.rules, m.hashes, c.rules) || m.base != c.base;
            if (!changed)
                continue;
            m.base = c.base;
            view_.chains[c.name] = ChainView{m.base, m.hashes};
            changes_.chains.insert(c.name);
        }
        return;
    }
    // Chains came, went or moved: match them by name and rebuild the view's chains.
    std::map<std::string, Chain> old;
    for (auto& m : chains_)
        old.emplace(m.name, std::move(m));
    chains_.clear();
    view_.chains.clear();
    for (auto& c : chains) {
        auto it = old.find(c.name);
        Chain m = it != old.end() ? std::move(it->second) : Chain{c.name, c.base, {}, {}};
        bool fresh = it == old.end();
        if (!fresh)
            old.erase(it);
        if (rehash(m.rules, m.hashes, c.rules) || m.base != c.base || fresh)
            changes_.chains.insert(c.name);
        m.base = c.base;
        view_.chains[c.name] = ChainView{m.base, m.hashes};
        chains_.push_back(std::move(m));
    }
    for (auto& [name, m] : old)
        changes_.chains.insert(name);  // gone (or a duplicate name, diffed in full anyway)
}

void DesiredView::updateSets(const std::vector<weft::nft::Set>& sets) {
    // Equal sets share their element chunks, so comparing them is cheap.
    if (sameNames(sets_, sets)) {
        for (size_t i = 0; i < sets.size(); ++i) {
            if (sets_[i] == sets[i])
                continue;
            sets_[i] = sets[i];
            view_.sets.insert_or_assign(sets[i].name, sets[i]);
            changes_.sets.insert(sets[i].name);
        }
        return;
    }
    std::map<std::string, Set> old;
    for (auto& s : sets_)
        old.emplace(s.name, std::move(s));
    view_.sets.clear();
    for (auto& s : sets) {
        auto it = old.find(s.name);
        if (it == old.end() || it->second != s)
            changes_.sets.insert(s.name);
        if (it != old.end())
            old.erase(it);
        view_.sets.insert_or_assign(s.name, s);
    }
    for (auto& [name, s] : old)
        changes_.sets.insert(name);
    sets_ = sets;
}

}  // namespace weft::kernel::nft
