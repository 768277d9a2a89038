#include "nft_diff.hpp"

#include <algorithm>
#include <set>

namespace weft::kernel::nft {

using namespace weft::nft;

namespace {

void addRules(std::vector<BatchMessage>& out, const Target& target, const Chain& c) {
    for (auto& r : c.rules)
        out.push_back(newRule(target, c.name, r));
}

// Elements of `a` whose key is not in `b` with the same data.
std::vector<Element> minus(const std::vector<Element>& a, const std::vector<Element>& b) {
    std::vector<Element> out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

}  // namespace

std::vector<BatchMessage> createTable(const Target& target, const std::string& owner,
                                      uint32_t flags, const TableView& want, const Table& t,
                                      uint32_t& setId) {
    std::vector<BatchMessage> out;
    out.push_back(newTable(target, owner, flags));
    for (auto& [name, s] : want.sets) {
        out.push_back(newSet(target, s, setId++));
        for (auto& m : setElements(target, s, s.elements, true))
            out.push_back(std::move(m));
    }
    for (auto& c : t.chains)
        out.push_back(newChain(target, c.name, want.chains.at(c.name)));
    for (auto& c : t.chains)
        addRules(out, target, c);
    return out;
}

std::vector<BatchMessage> diffTable(const Target& target, const std::string& owner,
                                    uint32_t adoptFlags, const TableView& have,
                                    const TableView& want, const Table& t, uint32_t& setId) {
    std::vector<BatchMessage> head, flushes, dels, sets, adds, rules;
    if (adoptFlags)
        head.push_back(newTable(target, owner, adoptFlags));

    // Sets whose definition changed or that go away need every rule out of the way first.
    bool rebuildAll = false;
    for (auto& [name, s] : have.sets) {
        auto w = want.sets.find(name);
        if (w == want.sets.end() || !sameDefinition(s, w->second))
            rebuildAll = true;
    }
    std::set<std::string> refill;  // chains whose rules are re-added
    for (auto& [name, c] : have.chains) {
        auto w = want.chains.find(name);
        bool gone = w == want.chains.end();
        bool baseChanged = !gone && w->second.base != c.base;
        if (gone || baseChanged || rebuildAll || w->second.ruleHashes != c.ruleHashes) {
            if (!c.ruleHashes.empty())
                flushes.push_back(flushChain(target, name));
            if (!gone)
                refill.insert(name);
        }
        if (gone || baseChanged)
            dels.push_back(delChain(target, name));
        if (baseChanged)
            adds.push_back(newChain(target, name, w->second));
    }
    for (auto& [name, s] : have.sets) {
        auto w = want.sets.find(name);
        if (w == want.sets.end() || !sameDefinition(s, w->second))
            dels.push_back(delSet(target, name));
    }
    for (auto& [name, s] : want.sets) {
        auto h = have.sets.find(name);
        if (h == have.sets.end() || !sameDefinition(h->second, s)) {
            sets.push_back(newSet(target, s, setId++));
            for (auto& m : setElements(target, s, s.elements, true))
                sets.push_back(std::move(m));
            continue;
        }
        // Element-level diff: deletions first, so a replaced interval never overlaps itself.
        for (auto& m : setElements(target, s, minus(h->second.elements, s.elements), false))
            sets.push_back(std::move(m));
        for (auto& m : setElements(target, s, minus(s.elements, h->second.elements), true))
            sets.push_back(std::move(m));
    }
    for (auto& [name, c] : want.chains) {
        if (!have.chains.count(name)) {
            adds.push_back(newChain(target, name, c));
            refill.insert(name);
        }
    }
    for (auto& c : t.chains) {
        if (refill.count(c.name))
            addRules(rules, target, c);
    }
    std::vector<BatchMessage> out;
    for (auto* part : {&head, &flushes, &dels, &sets, &adds, &rules}) {
        for (auto& m : *part)
            out.push_back(std::move(m));
    }
    return out;
}

}  // namespace weft::kernel::nft
