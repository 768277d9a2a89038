#include "nft_diff.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

#include "nft_concat.hpp"
#include "nft_expr.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;

namespace {

void addRules(std::vector<BatchMessage>& out, const Target& target, const Chain& c) {
    for (auto& r : c.rules)
        out.push_back(newRule(target, c.name, r));
}

// Concatenated elements are encoded once here, so one that does not fit its type fails the
// plan, before anything is sent.
void checkConcat(const Set& s, const std::vector<Element>& elements) {
    if (s.concat.empty())
        return;
    for (auto& e : elements) {
        auto* c = std::get_if<Concat>(&e.key);
        if (!c)
            throw std::invalid_argument("set " + s.name + ": an element is not a concatenation");
        try {
            concatBytes(s.concat, *c, false, s.interval);
        } catch (const std::invalid_argument& x) {
            throw std::invalid_argument("set " + s.name + ": " + x.what());
        }
    }
}

// Every element of a set created from nothing, checked for overlaps and types.
std::vector<Element> allElements(const Set& s) {
    checkNoOverlap(s);
    auto all = s.elements.toVector();
    checkConcat(s, all);
    return all;
}

}  // namespace

std::vector<BatchMessage> createTable(const Target& target, const std::string& owner,
                                      uint32_t flags, const TableView& want, const Table& t,
                                      uint32_t& setId) {
    std::vector<BatchMessage> out;
    out.push_back(newTable(target, owner, flags));
    // Chains before sets: verdict-map elements jump to them. Rules last: they use both.
    for (auto& c : t.chains)
        out.push_back(newChain(target, c.name, want.chains.at(c.name)));
    for (auto& name : want.counters)
        out.push_back(newCounter(target, name));
    for (auto& [name, s] : want.sets) {
        out.push_back(newSet(target, s, setId++));
        for (auto& m : setElements(target, s, allElements(s), true))
            out.push_back(std::move(m));
    }
    for (auto& c : t.chains)
        addRules(out, target, c);
    return out;
}

namespace {

// The batch of one table's diff, by phase. The phases run in this order so that nothing is
// deleted while something still refers to it, and nothing is referred to before it exists:
// rules go first (they use sets and chains), elements before their chains (verdict maps),
// chains before the sets whose elements jump to them, rules last.
struct Phases {
    std::vector<BatchMessage> head, flushes, elemDels, setDels, chainDels, chainAdds, setAdds,
        rules;
    std::vector<BatchMessage> joined() {
        std::vector<BatchMessage> out;
        for (auto* p :
             {&head, &flushes, &elemDels, &setDels, &chainDels, &chainAdds, &setAdds, &rules}) {
            for (auto& m : *p)
                out.push_back(std::move(m));
        }
        return out;
    }
};

void append(std::vector<BatchMessage>& to, std::vector<BatchMessage> from) {
    for (auto& m : from)
        to.push_back(std::move(m));
}

// Does a rule of the chain refer to one of `sets` by name?
bool usesAny(const Chain& c, const std::set<std::string>& sets) {
    for (auto& r : c.rules) {
        for (auto& name : setsUsed(r)) {
            if (sets.count(name))
                return true;
        }
    }
    return false;
}

// Adds the messages of one set's change: `h` in the kernel, `w` desired (either may be null).
// Returns true when the set is deleted or re-created.
bool diffSet(Phases& ph, const Target& target, const Set* h, const Set* w, uint32_t& setId) {
    bool replace = h && w && !sameDefinition(*h, *w);
    if (h && (!w || replace))
        ph.setDels.push_back(delSet(target, h->name));
    if (w && (!h || replace)) {
        ph.setAdds.push_back(newSet(target, *w, setId++));
        append(ph.setAdds, setElements(target, *w, allElements(*w), true));
    } else if (w) {
        // Element-level diff: deletions first, so a replaced interval never overlaps itself.
        auto d = ElementSet::diff(h->elements, w->elements);
        checkNoOverlap(*w, d.added);
        checkConcat(*w, d.added);
        append(ph.elemDels, setElements(target, *w, std::move(d.removed), false));
        append(ph.setAdds, setElements(target, *w, std::move(d.added), true));
    }
    return h && (!w || replace);
}

template <typename V>
const V* lookup(const std::map<std::string, V>& m, const std::string& name) {
    auto it = m.find(name);
    return it == m.end() ? nullptr : &it->second;
}

// Sets that are deleted or re-created; adds their messages. Returns their names. Sets are
// visited in name order (a merge of the two maps), as the messages always were.
std::set<std::string> diffSets(Phases& ph, const Target& target, const TableView& have,
                               const TableView& want, uint32_t& setId, const ViewChanges* only) {
    std::set<std::string> replaced;
    auto visit = [&](const std::string& name) {
        if (diffSet(ph, target, lookup(have.sets, name), lookup(want.sets, name), setId))
            replaced.insert(name);
    };
    if (only) {
        for (auto& name : only->sets)
            visit(name);
        return replaced;
    }
    auto h = have.sets.begin(), w = want.sets.begin();
    while (h != have.sets.end() || w != want.sets.end()) {
        bool takeH = w == want.sets.end() || (h != have.sets.end() && h->first <= w->first);
        bool takeW = h == have.sets.end() || (w != want.sets.end() && w->first <= h->first);
        visit(takeH ? h->first : w->first);
        if (takeH)
            ++h;
        if (takeW)
            ++w;
    }
    return replaced;
}

}  // namespace

std::vector<BatchMessage> diffTable(const Target& target, const std::string& owner,
                                    uint32_t adoptFlags, const TableView& have,
                                    const TableView& want, const Table& t, uint32_t& setId,
                                    const ViewChanges* only) {
    Phases ph;
    if (adoptFlags) {
        ph.head.push_back(newTable(target, owner, adoptFlags));
        ph.head.back().objects = 0;  // re-owning is not a change of the table
    }
    auto replaced = diffSets(ph, target, have, want, setId, only);
    // Counters keep their values: only those that come or go are touched, and a gone one is
    // deleted after the rules that used it were flushed.
    for (auto& name : have.counters) {
        if (!want.counters.count(name))
            ph.setDels.push_back(delCounter(target, name));
    }
    for (auto& name : want.counters) {
        if (!have.counters.count(name))
            ph.chainAdds.push_back(newCounter(target, name));
    }
    // A set being replaced must lose its users first (the kernel refuses to delete a set in
    // use); they are the same rules as desired, since their hashes match. Rare: only then are
    // the desired chains indexed and their rules searched for set names.
    std::map<std::string_view, const Chain*> byName;
    if (!replaced.empty()) {
        for (auto& c : t.chains)
            byName.emplace(c.name, &c);
    }
    std::set<std::string> refill;  // chains whose rules are (re-)added
    auto visit = [&](const std::string& name, const ChainView& c) {
        auto w = want.chains.find(name);
        bool gone = w == want.chains.end();
        bool baseChanged = !gone && w->second.base != c.base;
        auto desired = byName.find(name);
        bool usesReplaced = desired != byName.end() && usesAny(*desired->second, replaced);
        if (gone || baseChanged || usesReplaced || w->second.ruleHashes != c.ruleHashes) {
            if (!c.ruleHashes.empty())
                ph.flushes.push_back(flushChain(target, name));
            if (!gone)
                refill.insert(name);
        }
        if (gone || baseChanged)
            ph.chainDels.push_back(delChain(target, name));
        if (baseChanged)
            ph.chainAdds.push_back(newChain(target, name, w->second));
    };
    // Chains equal on both sides need no visit, unless a replaced set may be used by one.
    bool all = !only || !replaced.empty();
    if (all) {
        for (auto& [name, c] : have.chains)
            visit(name, c);
    } else {
        for (auto& name : only->chains) {
            if (auto* c = lookup(have.chains, name))
                visit(name, *c);
        }
    }
    for (auto& c : t.chains) {
        if ((all || only->chains.count(c.name)) && !have.chains.count(c.name)) {
            ph.chainAdds.push_back(newChain(target, c.name, want.chains.at(c.name)));
            refill.insert(c.name);
        }
    }
    for (auto& c : t.chains) {
        if (refill.count(c.name))
            addRules(ph.rules, target, c);
    }
    return ph.joined();
}

}  // namespace weft::kernel::nft
