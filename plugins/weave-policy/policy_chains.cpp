// weave-policy: the chains (see policy_compiler.hpp for the layout).
#include <functional>

#include "policy_compiler.hpp"

namespace weft::weave {

std::string dispatchName(bool egress, Family f);
std::string namespaceChain(bool egress, const std::string& ns);

namespace {

using nft::Chain;
using nft::Field;
using nft::Rule;

constexpr uint32_t kEstablished = nft::CtEstablished | nft::CtRelated;
constexpr Family kFamilies[] = {Family::V4, Family::V6};

std::string policyChain(bool egress, const NetworkPolicy& p) {
    return nftName(egress ? "eg_" : "in_", p.ns + "/" + p.name);
}

Chain baseChain(const std::string& name, nft::Hook hook) {
    Chain c;
    c.name = name;
    c.base = nft::BaseChain{nft::ChainType::Filter, hook, 0, nft::Verdict::Accept};
    c.rules.push_back(Rule{}.ctState(kEstablished).accept());
    // IPv6 neighbour and router discovery is the link's plumbing, not a connection: a pod
    // isolated for egress must still answer a neighbour solicitation (Calico does the same).
    for (uint8_t type : {133, 134, 135, 136})
        c.rules.push_back(
            Rule{}.family(Family::V6).add(nft::MatchIcmpType{Family::V6, type, false}).accept());
    return c;
}

/// One way a rule's peer or port can match: the expressions and, when they name an address
/// set or a named-port set, the family they need.
struct Alternative {
    std::optional<Family> family;
    std::vector<nft::Expr> exprs;
};

}  // namespace

void PolicyCompiler::buildChains(const ObjectSet& objects) {
    chains_.clear();
    const auto& o = options_;

    auto toInterfaces = [&](Chain& c, bool in, bool out, const std::string& target) {
        if (o.interfaces.empty()) {
            c.rules.push_back(Rule{}.goTo(target));
            return;
        }
        for (const auto& i : o.interfaces) {
            if (in)
                c.rules.push_back(Rule{}.iif(i).goTo(target));
            if (out)
                c.rules.push_back(Rule{}.oif(i).goTo(target));
        }
    };
    Chain forward = baseChain("forward", nft::Hook::Forward);
    toInterfaces(forward, true, true, "police");
    chains_.push_back(forward);
    Chain input = baseChain("input", nft::Hook::Input);
    toInterfaces(input, true, false, "egress");
    chains_.push_back(input);
    if (o.policeHostTraffic) {
        Chain output = baseChain("output", nft::Hook::Output);
        toInterfaces(output, false, true, "ingress");
        chains_.push_back(output);
    }
    chains_.push_back(
        Chain{"police", std::nullopt, {Rule{}.jump("egress"), Rule{}.jump("ingress")}});

    Chain egress{"egress", std::nullopt, {Rule{}.setMark(Mark{0, o.egressMark.mask})}};
    Chain ingress{"ingress", std::nullopt, {}};
    for (Family f : kFamilies) {
        Field src = f == Family::V4 ? Field::IpSaddr : Field::Ip6Saddr;
        Field dst = f == Family::V4 ? Field::IpDaddr : Field::Ip6Daddr;
        egress.rules.push_back(Rule{}.family(f).vmap({src}, dispatchName(true, f)));
        ingress.rules.push_back(Rule{}.family(f).vmap({dst}, dispatchName(false, f)));
    }
    chains_.push_back(egress);
    chains_.push_back(ingress);

    // One chain per namespace and direction: each policy's targets to its chain, then deny.
    std::map<std::string, Chain> nsChains;
    auto nsChain = [&](bool egress, const std::string& ns) -> Chain& {
        auto name = namespaceChain(egress, ns);
        auto [it, fresh] = nsChains.try_emplace(name);
        if (fresh)
            it->second.name = name;
        return it->second;
    };
    for (const auto& [key, p] : objects.policies()) {
        Selection target{p.ns, std::nullopt, p.podSelector};
        const auto& sets = selectionSets(target);
        for (bool eg : {false, true}) {
            if (eg ? !p.egress : !p.ingress)
                continue;
            auto& c = nsChain(eg, p.ns);
            for (Family f : kFamilies)
                c.rules.push_back(
                    Rule{}
                        .family(f)
                        .in({eg ? (f == Family::V4 ? Field::IpSaddr : Field::Ip6Saddr)
                                : (f == Family::V4 ? Field::IpDaddr : Field::Ip6Daddr)},
                            f == Family::V4 ? sets.name4 : sets.name6)
                        .jump(policyChain(eg, p))
                        .withComment(p.ns + "/" + p.name));
        }
    }
    for (auto& [name, c] : nsChains) {
        bool eg = name.rfind("eg_", 0) == 0;
        if (eg)
            c.rules.push_back(Rule{}.mark(o.egressMark).ret());
        if (o.logRate > 0)
            c.rules.push_back(Rule{}.limit(o.logRate).logGroup(
                o.logGroup, eg ? kLogPrefixEgress : kLogPrefixIngress));
        c.rules.push_back(Rule{}.counter(eg ? kDeniedEgress : kDeniedIngress).drop());
        chains_.push_back(std::move(c));
    }

    // The policies' own chains.
    for (const auto& [key, p] : objects.policies()) {
        for (bool eg : {false, true}) {
            if (eg ? !p.egress : !p.ingress)
                continue;
            Chain c;
            c.name = policyChain(eg, p);
            const auto& rules = eg ? p.egressRules : p.ingressRules;
            for (size_t r = 0; r < rules.size(); ++r) {
                std::string comment =
                    p.ns + "/" + p.name + (eg ? " egress " : " ingress ") + std::to_string(r);
                nft::Dir peerDir = eg ? nft::Dir::Dst : nft::Dir::Src;
                // Peers: each selector as two address sets, each ipBlock as an interval set.
                std::vector<Alternative> peers;
                if (rules[r].peers.empty())
                    peers.push_back({});
                for (size_t i = 0; i < rules[r].peers.size(); ++i) {
                    const auto& peer = rules[r].peers[i];
                    if (peer.ipBlock) {
                        Family f = peer.ipBlock->family();
                        PrefixSet block{*peer.ipBlock};
                        for (const auto& e : peer.except)
                            block.remove(e);
                        std::string name = (f == Family::V4 ? "b4_" : "b6_") +
                                           digest(comment + " peer " + std::to_string(i));
                        nft::Set s;
                        s.name = name;
                        s.keyType =
                            f == Family::V4 ? nft::DataType::Ipv4Addr : nft::DataType::Ipv6Addr;
                        s.interval = true;
                        for (const auto& prefix : block.prefixes())
                            s.elements.insert(nft::Element{prefix, std::nullopt});
                        sets_[name] = std::move(s);
                        peers.push_back({f,
                                         {nft::MatchFamily{f},
                                          nft::MatchAddr{peerDir, f, std::nullopt, name, false}}});
                        continue;
                    }
                    Selection sel = peer.namespaceSelector
                                        ? Selection{std::nullopt, peer.namespaceSelector,
                                                    peer.podSelector.value_or(LabelSelector{})}
                                        : Selection{p.ns, std::nullopt,
                                                    peer.podSelector.value_or(LabelSelector{})};
                    const auto& sets = selectionSets(sel);
                    for (Family f : kFamilies)
                        peers.push_back(
                            {f,
                             {nft::MatchFamily{f},
                              nft::MatchAddr{peerDir, f, std::nullopt,
                                             f == Family::V4 ? sets.name4 : sets.name6, false}}});
                }
                // Ports: numbered ones and ranges inline, named ones through np4_/np6_ sets.
                std::vector<Alternative> ports;
                if (rules[r].ports.empty())
                    ports.push_back({});
                for (const auto& port : rules[r].ports) {
                    if (!port.namedPort.empty()) {
                        for (Family f : kFamilies)
                            ports.push_back(
                                {f,
                                 {nft::MatchFamily{f}, nft::MatchL4Proto{port.protocol},
                                  nft::MatchSet{
                                      {f == Family::V4 ? Field::IpDaddr : Field::Ip6Daddr,
                                       Field::L4Proto, Field::Dport},
                                      (f == Family::V4 ? "np4_" : "np6_") + port.namedPort,
                                      false}}});
                        continue;
                    }
                    Alternative a;
                    a.exprs.push_back(nft::MatchL4Proto{port.protocol});
                    if (port.port)
                        a.exprs.push_back(
                            nft::MatchPort{nft::Dir::Dst,
                                           PortRange{*port.port, port.endPort.value_or(*port.port)},
                                           {},
                                           false});
                    ports.push_back(std::move(a));
                }
                for (const auto& peer : peers)
                    for (const auto& port : ports) {
                        if (peer.family && port.family && peer.family != port.family)
                            continue;
                        Rule rule;
                        rule.exprs = peer.exprs;
                        for (const auto& e : port.exprs) {
                            // One family match is enough.
                            if (peer.family && std::holds_alternative<nft::MatchFamily>(e))
                                continue;
                            rule.exprs.push_back(e);
                        }
                        if (eg)
                            rule.setMark(o.egressMark).ret();
                        else
                            rule.accept();
                        c.rules.push_back(rule.withComment(comment));
                    }
            }
            chains_.push_back(std::move(c));
        }
    }
}

}  // namespace weft::weave
