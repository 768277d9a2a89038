// RouteEngine's ip rules: add-before-delete inside a priority range.
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

#include "nl_socket.hpp"
#include "route_engine.hpp"
#include "rule_codec.hpp"

namespace weft::kernel {

using namespace rtnl;

namespace {

using Range = std::pair<uint32_t, uint32_t>;

NlStatus readRules(NlSocket& s, uint8_t protocol, Range prio, std::vector<KernelRule>& out) {
    auto each = [&](nlmsghdr* nlh) {
        auto k = parseRule(nlh);
        if (k && k->protocol == protocol && k->priority >= prio.first && k->priority <= prio.second)
            out.push_back(std::move(*k));
    };
    return s.dump(RTM_GETRULE, AF_UNSPEC, each, [&] { out.clear(); });
}

std::vector<RoutingRule> wanted(const std::vector<RoutingRule>& desired, Range prio,
                                ApplyResult& res) {
    std::vector<RoutingRule> want;
    for (auto& d : desired) {
        RoutingRule r = normalized(d);
        std::string why = invalidReason(r);
        if (why.empty() && (r.priority < prio.first || r.priority > prio.second))
            why = "priority outside " + std::to_string(prio.first) + "-" +
                  std::to_string(prio.second);
        if (!why.empty())
            res.errors.push_back("rule " + describe(r) + ": " + why);
        else if (std::find(want.begin(), want.end(), r) == want.end())
            want.push_back(r);
    }
    return want;
}

// Pairs every wanted rule with one kernel rule equal to it; returns the wanted rules that have
// none and marks in `kept` the kernel rules that stay.
std::vector<RoutingRule> missing(const std::vector<RoutingRule>& want,
                                 const std::vector<KernelRule>& have, std::vector<bool>& kept) {
    kept.assign(have.size(), false);
    std::vector<RoutingRule> out;
    for (auto& w : want) {
        auto it = std::find_if(have.begin(), have.end(), [&](const KernelRule& k) {
            return !kept[size_t(&k - have.data())] && k.rule == w;
        });
        if (it == have.end())
            out.push_back(w);
        else
            kept[size_t(it - have.begin())] = true;
    }
    return out;
}

void addRules(NlSocket& s, const std::vector<RoutingRule>& rules, uint8_t protocol,
              ApplyResult& res) {
    for (auto& r : rules) {
        NlStatus st = s.request(buildRuleAdd(r, protocol).get());
        if (!st.ok())
            res.errors.push_back("rule " + describe(r) + ": " + st.str());
        else
            ++res.changes;
    }
}

void deleteRules(NlSocket& s, const std::vector<KernelRule>& have, const std::vector<bool>& kept,
                 ApplyResult& res) {
    for (size_t i = 0; i < have.size(); ++i) {
        if (kept[i])
            continue;
        NlStatus st = s.request(buildRuleDelete(have[i]).get());
        std::string what = have[i].rule ? describe(*have[i].rule)
                                        : "at priority " + std::to_string(have[i].priority);
        if (st.ok())
            ++res.changes;
        else if (st.error != ENOENT)
            res.errors.push_back("delete rule " + what + ": " + st.str());
    }
}

}  // namespace

ApplyResult RouteEngine::applyRules(const std::vector<RoutingRule>& desired, Range prio) {
    ApplyResult res;
    if (auto c = convergedRules_.find(prio); c != convergedRules_.end() && c->second == desired)
        return res;
    convergedRules_.erase(prio);
    auto want = wanted(desired, prio, res);
    // Usually one round, and a second read that finds nothing to do. More rounds only when a
    // delete took the wrong rule: the kernel deletes the first rule matching every field a
    // request names, so deleting "100: lookup 180" takes an earlier "100: fwmark 0x20/0x60
    // lookup 180" of ours. Re-adding puts that one last, and the next round's delete is exact.
    for (int round = 0; round < 4; ++round) {
        std::vector<KernelRule> have;
        if (NlStatus st = readRules(*sock_, protocol_, prio, have); !st.ok()) {
            res.errors.push_back("read rules: " + st.str());
            return res;
        }
        std::vector<bool> kept;
        auto add = missing(want, have, kept);
        bool extra = std::find(kept.begin(), kept.end(), false) != kept.end();
        if (add.empty() && !extra)
            break;
        size_t errors = res.errors.size();
        addRules(*sock_, add, protocol_, res);  // first add...
        if (res.errors.size() > errors)
            break;  // the old rules stay until their successors are in; no retry of a refusal
        deleteRules(*sock_, have, kept, res);  // ...then delete
        if (res.errors.size() > errors)
            break;
    }
    if (res.ok())
        convergedRules_[prio] = desired;
    return res;
}

}  // namespace weft::kernel
