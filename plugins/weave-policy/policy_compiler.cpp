#include "policy_compiler.hpp"

#include <algorithm>

#include "selector.hpp"

namespace weft::weave {
namespace {

using nft::DataType;
using nft::Element;
using nft::ElementSet;

nft::Set addressSet(const std::string& name, Family f, bool interval = false) {
    nft::Set s;
    s.name = name;
    s.keyType = f == Family::V4 ? DataType::Ipv4Addr : DataType::Ipv6Addr;
    s.interval = interval;
    return s;
}

nft::Set namedPortSet(const std::string& name, Family f) {
    nft::Set s;
    s.name = name;
    s.concat = {f == Family::V4 ? DataType::Ipv4Addr : DataType::Ipv6Addr, DataType::InetProto,
                DataType::InetService};
    return s;
}

nft::Set dispatchMap(const std::string& name, Family f) {
    nft::Set s = addressSet(name, f);
    s.dataType = DataType::Verdict;
    return s;
}

/// The selections a policy uses: its targets and its selector peers.
template <class Fn>
void forEachSelection(const NetworkPolicy& p, Fn fn) {
    fn(Selection{p.ns, std::nullopt, p.podSelector}, true);
    auto peers = [&](const std::vector<PolicyRule>& rules) {
        for (const auto& rule : rules)
            for (const auto& peer : rule.peers) {
                if (peer.ipBlock)
                    continue;
                if (peer.namespaceSelector)
                    fn(Selection{std::nullopt, peer.namespaceSelector,
                                 peer.podSelector.value_or(LabelSelector{})},
                       false);
                else
                    fn(Selection{p.ns, std::nullopt, peer.podSelector.value_or(LabelSelector{})},
                       false);
            }
    };
    if (p.ingress)
        peers(p.ingressRules);
    if (p.egress)
        peers(p.egressRules);
}

}  // namespace

std::string dispatchName(bool egress, Family f) {
    return std::string(egress ? "eg" : "in") + "_dispatch" + (f == Family::V4 ? "4" : "6");
}

std::string namespaceChain(bool egress, const std::string& ns) {
    return nftName(egress ? "eg_ns_" : "in_ns_", ns);
}

void PolicyCompiler::rebuild(const ObjectSet& objects, const CompileOptions& options) {
    options_ = options;
    selections_.clear();
    namedPorts_.clear();
    ingressNs_.clear();
    egressNs_.clear();
    for (const auto& [key, p] : objects.policies()) {
        if (p.ingress)
            ingressNs_.insert(p.ns);
        if (p.egress)
            egressNs_.insert(p.ns);
        const NetworkPolicy& policy = p;  // clang 14 cannot capture a structured binding
        forEachSelection(p, [&](const Selection& s, bool target) {
            auto& sets = selections_[s];
            if (sets.name4.empty()) {
                std::string d = digest(s.text());
                sets.name4 = "s4_" + d;
                sets.name6 = "s6_" + d;
            }
            if (target) {
                sets.ingressTarget |= policy.ingress;
                sets.egressTarget |= policy.egress;
            }
        });
        auto names = [&](const std::vector<PolicyRule>& rules) {
            for (const auto& rule : rules)
                for (const auto& port : rule.ports)
                    if (!port.namedPort.empty())
                        namedPorts_.insert(port.namedPort);
        };
        if (p.ingress)
            names(p.ingressRules);
        if (p.egress)
            names(p.egressRules);
    }
    byNamespace_.clear();
    byNsSelector_.clear();
    for (const auto& [s, _] : selections_) {
        if (s.ns)
            byNamespace_[*s.ns].push_back(&s);
        else
            byNsSelector_[*s.nsSelector].push_back(&s);
    }
    indexNamespaces(objects);

    // Fresh empty sets; then every pod's elements; then carry unchanged chunks over.
    std::map<std::string, nft::Set> fresh;
    for (Family f : {Family::V4, Family::V6}) {
        for (bool egress : {false, true}) {
            auto name = dispatchName(egress, f);
            fresh[name] = dispatchMap(name, f);
        }
        for (const auto& [s, sets] : selections_) {
            auto& name = f == Family::V4 ? sets.name4 : sets.name6;
            fresh[name] = addressSet(name, f);
        }
        for (const auto& port : namedPorts_) {
            auto name = std::string(f == Family::V4 ? "np4_" : "np6_") + port;
            fresh[name] = namedPortSet(name, f);
        }
    }
    auto old = std::move(sets_);
    sets_ = std::move(fresh);
    contributed_.clear();
    for (const auto& [key, pod] : objects.pods())
        add(key, contributions(objects, pod));
    buildChains(objects);  // adds the ipBlock sets too
    for (auto& [name, set] : sets_) {
        auto it = old.find(name);
        if (it == old.end() || it->second.concat != set.concat ||
            it->second.keyType != set.keyType || it->second.interval != set.interval ||
            it->second.dataType != set.dataType)
            continue;
        it->second.elements.update(set.elements);
        set.elements = std::move(it->second.elements);
    }
}

void PolicyCompiler::indexNamespaces(const ObjectSet& objects) {
    nsMatches_.clear();
    std::set<std::string> names;
    for (const auto& [name, _] : objects.namespaces())
        names.insert(name);
    for (const auto& [key, _] : objects.pods())
        names.insert(key.first);
    for (const auto& ns : names)
        indexNamespace(objects, ns);
}

void PolicyCompiler::indexNamespace(const ObjectSet& objects, const std::string& ns) {
    Labels labels = namespaceMatchLabels(objects, ns);
    auto& list = nsMatches_[ns];
    list.clear();
    for (const auto& [selector, _] : byNsSelector_)
        if (matches(selector, labels))
            list.push_back(&selector);
}

std::vector<PolicyCompiler::Contribution> PolicyCompiler::contributions(const ObjectSet& objects,
                                                                        const Pod& pod) const {
    std::vector<Contribution> out;
    bool ingressIsolated = false, egressIsolated = false;
    auto consider = [&](const Selection& s) {
        if (!matches(s.podSelector, pod.labels))
            return;
        const auto& sets = selections_.at(s);
        for (const auto& ip : pod.ips)
            out.push_back({ip.family == Family::V4 ? sets.name4 : sets.name6,
                           Element{Prefix::host(ip), std::nullopt}});
        ingressIsolated |= sets.ingressTarget;
        egressIsolated |= sets.egressTarget;
    };
    if (auto it = byNamespace_.find(pod.ns); it != byNamespace_.end())
        for (const auto* s : it->second)
            consider(*s);
    if (auto it = nsMatches_.find(pod.ns); it != nsMatches_.end())
        for (const auto* selector : it->second)
            for (const auto* s : byNsSelector_.at(*selector))
                consider(*s);
    (void)objects;
    for (const auto& ip : pod.ips) {
        Family f = ip.family;
        if (ingressIsolated)
            out.push_back(
                {dispatchName(false, f),
                 Element{Prefix::host(ip),
                         nft::VerdictData{nft::Verdict::Jump, namespaceChain(false, pod.ns)}}});
        if (egressIsolated)
            out.push_back(
                {dispatchName(true, f),
                 Element{Prefix::host(ip),
                         nft::VerdictData{nft::Verdict::Jump, namespaceChain(true, pod.ns)}}});
        for (const auto& port : pod.ports) {
            if (port.name.empty() || !namedPorts_.count(port.name))
                continue;
            out.push_back({std::string(f == Family::V4 ? "np4_" : "np6_") + port.name,
                           Element{nft::Concat{{Prefix::host(ip), uint32_t(port.protocol),
                                                PortRange{port.port, port.port}}},
                                   std::nullopt}});
        }
    }
    return out;
}

void PolicyCompiler::add(const PodKey& key, std::vector<Contribution> list) {
    for (const auto& [set, element] : list)
        sets_.at(set).elements.insert(element);
    contributed_[key] = std::move(list);
}

void PolicyCompiler::removePod(const PodKey& key) {
    auto it = contributed_.find(key);
    if (it == contributed_.end())
        return;
    for (const auto& [set, element] : it->second)
        sets_.at(set).elements.erase(element.key);
    contributed_.erase(it);
}

void PolicyCompiler::podsChanged(const ObjectSet& objects, const std::vector<ObjectKey>& changed) {
    std::set<PodKey> pods;
    for (const auto& key : changed) {
        if (key.kind == Kind::Pod)
            pods.insert({key.ns, key.name});
        if (key.kind != Kind::Namespace)
            continue;
        indexNamespace(objects, key.name);
        // Every pod of that namespace, present or just removed.
        for (auto it = objects.pods().lower_bound({key.name, ""});
             it != objects.pods().end() && it->first.first == key.name; ++it)
            pods.insert(it->first);
        for (auto it = contributed_.lower_bound({key.name, ""});
             it != contributed_.end() && it->first.first == key.name; ++it)
            pods.insert(it->first);
    }
    for (const auto& key : pods) {
        if (!nsMatches_.count(key.first))
            indexNamespace(objects, key.first);
        removePod(key);
        auto it = objects.pods().find(key);
        if (it != objects.pods().end())
            add(key, contributions(objects, it->second));
    }
}

nft::Table PolicyCompiler::table() const {
    nft::Table t;
    t.family = nft::TableFamily::Inet;
    t.name = options_.table;
    t.sets.reserve(sets_.size());
    for (const auto& [_, s] : sets_)
        t.sets.push_back(s);
    t.chains = chains_;
    t.counters = {kDeniedEgress, kDeniedIngress};
    return t;
}

}  // namespace weft::weave
