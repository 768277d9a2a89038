#include "npc_iptables.hpp"

#include <map>
#include <set>
#include <vector>

#include "selection.hpp"
#include "selector.hpp"

namespace weft::bench {
namespace {

using namespace weave;

struct IpSet {
    std::string type;  ///< "hash:ip", "list:set", ...
    std::vector<std::string> entries;
};

std::string setName(const std::string& kind, const std::string& text) {
    return "weave-" + digest(kind + ":" + text, 16);
}

const char* protoName(uint8_t p) {
    return p == kUdp ? "udp" : p == kSctp ? "sctp" : "tcp";
}

class Builder {
  public:
    Builder(const ObjectSet& objects, const std::string& bridge)
        : objects_(objects), bridge_(bridge) {}

    NpcRuleset build();

  private:
    std::string podSelectorSet(const std::string& ns, const LabelSelector& s);
    std::string peerSet(const std::string& ns, const Peer& peer);
    std::string namedPortSet(const std::string& name);
    void rules(const NetworkPolicy& p, bool egress);
    bool isolated(const Pod& pod, bool egress) const;

    const ObjectSet& objects_;
    std::string bridge_;
    std::set<std::string> namespaces_;
    std::map<std::string, IpSet> sets_;
    std::vector<std::string> ingress_, egress_;
};

std::string Builder::podSelectorSet(const std::string& ns, const LabelSelector& s) {
    auto name = setName("pod", Selection{ns, std::nullopt, s}.text());
    auto [it, fresh] = sets_.try_emplace(name);
    if (fresh) {
        it->second.type = "hash:ip";
        for (auto p = objects_.pods().lower_bound({ns, ""});
             p != objects_.pods().end() && p->first.first == ns; ++p)
            if (matches(s, p->second.labels))
                for (const auto& ip : p->second.ips)
                    it->second.entries.push_back(ip.str());
    }
    return name;
}

std::string Builder::peerSet(const std::string& ns, const Peer& peer) {
    if (peer.ipBlock) {
        std::string text = peer.ipBlock->str();
        for (const auto& e : peer.except)
            text += " " + e.str();
        auto name = setName("block", text);
        auto& s = sets_[name];
        s.type = "hash:net";
        // hash:net takes prefix lengths 1..32: 0.0.0.0/0 is its two halves.
        if (peer.ipBlock->length == 0)
            s.entries = {"0.0.0.0/1", "128.0.0.0/1"};
        else
            s.entries = {peer.ipBlock->str()};
        for (const auto& e : peer.except)
            s.entries.push_back(e.str() + " nomatch");
        return name;
    }
    if (!peer.namespaceSelector)
        return podSelectorSet(ns, peer.podSelector.value_or(LabelSelector{}));
    const auto& nsSel = *peer.namespaceSelector;
    bool allPods = !peer.podSelector || *peer.podSelector == LabelSelector{};
    Selection sel{std::nullopt, nsSel, peer.podSelector.value_or(LabelSelector{})};
    auto name = setName(allPods ? "nssel" : "nspod", sel.text());
    auto [it, fresh] = sets_.try_emplace(name);
    if (!fresh)
        return name;
    it->second.type = allPods ? "list:set" : "hash:ip";
    for (const auto& n : namespaces_) {
        if (!matches(nsSel, namespaceMatchLabels(objects_, n)))
            continue;
        if (allPods) {
            it->second.entries.push_back(setName("allpods", n));
            continue;
        }
        for (auto p = objects_.pods().lower_bound({n, ""});
             p != objects_.pods().end() && p->first.first == n; ++p)
            if (matches(sel.podSelector, p->second.labels))
                for (const auto& ip : p->second.ips)
                    it->second.entries.push_back(ip.str());
    }
    return name;
}

std::string Builder::namedPortSet(const std::string& name) {
    std::string set = "weave-np-" + name;
    auto [it, fresh] = sets_.try_emplace(set);
    if (fresh) {
        it->second.type = "hash:ip,port";
        for (const auto& [key, pod] : objects_.pods())
            for (const auto& port : pod.ports)
                if (port.name == name)
                    for (const auto& ip : pod.ips)
                        it->second.entries.push_back(ip.str() + "," + protoName(port.protocol) +
                                                     ":" + std::to_string(port.port));
    }
    return set;
}

bool Builder::isolated(const Pod& pod, bool egress) const {
    for (auto it = objects_.policies().lower_bound({pod.ns, ""});
         it != objects_.policies().end() && it->first.first == pod.ns; ++it) {
        const auto& p = it->second;
        if ((egress ? p.egress : p.ingress) && matches(p.podSelector, pod.labels))
            return true;
    }
    return false;
}

// One rule per peer x port, as weave-npc writes them.
void Builder::rules(const NetworkPolicy& p, bool egress) {
    std::string target = podSelectorSet(p.ns, p.podSelector);
    const auto& list = egress ? p.egressRules : p.ingressRules;
    for (size_t r = 0; r < list.size(); ++r) {
        std::vector<std::string> peers;
        for (const auto& peer : list[r].peers)
            peers.push_back(peerSet(p.ns, peer));
        if (peers.empty())
            peers.push_back("");
        std::vector<std::string> ports;
        for (const auto& port : list[r].ports) {
            std::string proto = protoName(port.protocol);
            std::string m = "-p " + proto;
            if (!port.namedPort.empty())
                m += " -m set --match-set " + namedPortSet(port.namedPort) + " dst,dst";
            else if (port.port)
                m += " -m " + proto + " --dport " + std::to_string(*port.port) +
                     (port.endPort ? ":" + std::to_string(*port.endPort) : "");
            ports.push_back(m);
        }
        if (ports.empty())
            ports.push_back("");
        std::string comment = " -m comment --comment \"" + p.ns + "/" + p.name +
                              (egress ? " egress " : " ingress ") + std::to_string(r) + "\"";
        for (const auto& peer : peers)
            for (const auto& port : ports) {
                std::string m = port.empty() ? "" : " " + port;
                if (egress) {
                    m += " -m set --match-set " + target + " src";
                    if (!peer.empty())
                        m += " -m set --match-set " + peer + " dst";
                    egress_.push_back("-A WEAVE-NPC-EGRESS-CUSTOM" + m + comment +
                                      " -j WEAVE-NPC-EGRESS-ACCEPT");
                    egress_.push_back("-A WEAVE-NPC-EGRESS-CUSTOM" + m + comment + " -j RETURN");
                } else {
                    if (!peer.empty())
                        m += " -m set --match-set " + peer + " src";
                    m += " -m set --match-set " + target + " dst";
                    ingress_.push_back("-A WEAVE-NPC-INGRESS" + m + comment + " -j ACCEPT");
                }
            }
    }
}

NpcRuleset Builder::build() {
    for (const auto& [name, _] : objects_.namespaces())
        namespaces_.insert(name);
    for (const auto& [key, _] : objects_.pods())
        namespaces_.insert(key.first);
    for (const auto& [key, _] : objects_.policies())
        namespaces_.insert(key.first);

    std::vector<std::string> defaults, egressDefaults;
    for (const auto& ns : namespaces_) {
        auto& all = sets_[setName("allpods", ns)];
        auto& in = sets_[setName("default-ingress", ns)];
        auto& eg = sets_[setName("default-egress", ns)];
        all.type = in.type = eg.type = "hash:ip";
        for (auto p = objects_.pods().lower_bound({ns, ""});
             p != objects_.pods().end() && p->first.first == ns; ++p)
            for (const auto& ip : p->second.ips) {
                all.entries.push_back(ip.str());
                if (!isolated(p->second, false))
                    in.entries.push_back(ip.str());
                if (!isolated(p->second, true))
                    eg.entries.push_back(ip.str());
            }
        std::string c =
            " -m comment --comment \"DefaultAllow isolation for namespace: " + ns + "\"";
        defaults.push_back("-A WEAVE-NPC-DEFAULT -m set --match-set " +
                           setName("default-ingress", ns) + " dst" + c + " -j ACCEPT");
        for (const char* j : {"WEAVE-NPC-EGRESS-ACCEPT", "RETURN"})
            egressDefaults.push_back("-A WEAVE-NPC-EGRESS-DEFAULT -m set --match-set " +
                                     setName("default-egress", ns) + " src" + c + " -j " + j);
    }
    for (const auto& [key, p] : objects_.policies()) {
        if (p.ingress)
            rules(p, false);
        if (p.egress)
            rules(p, true);
    }

    NpcRuleset out;
    // list:set members must exist first.
    for (bool lists : {false, true})
        for (const auto& [name, s] : sets_) {
            if ((s.type == "list:set") != lists)
                continue;
            out.ipset += "create " + name + " " + s.type +
                         (lists ? " size " + std::to_string(std::max<size_t>(8, s.entries.size()))
                                : " family inet") +
                         "\n";
            for (const auto& e : s.entries)
                out.ipset += "add " + name + " " + e + "\n";
            ++out.sets;
            out.setEntries += s.entries.size();
        }

    const std::string& b = bridge_;
    std::vector<std::string> lines = {
        "-A INPUT -i " + b + " -j WEAVE-NPC-EGRESS",
        "-A FORWARD -i " + b + " -j WEAVE-NPC-EGRESS",
        "-A FORWARD -o " + b + " -j WEAVE-NPC",
        "-A FORWARD -o " + b + " -m state --state NEW -j NFLOG --nflog-group 86",
        "-A FORWARD -o " + b + " -j DROP",
        "-A WEAVE-NPC -m state --state RELATED,ESTABLISHED -j ACCEPT",
        "-A WEAVE-NPC -m state --state NEW -j WEAVE-NPC-DEFAULT",
        "-A WEAVE-NPC -m state --state NEW -j WEAVE-NPC-INGRESS",
        "-A WEAVE-NPC-EGRESS -m state --state RELATED,ESTABLISHED -j ACCEPT",
        "-A WEAVE-NPC-EGRESS -m state --state NEW -j WEAVE-NPC-EGRESS-DEFAULT",
        "-A WEAVE-NPC-EGRESS -m state --state NEW -m mark ! --mark 0x40000/0x40000 -j "
        "WEAVE-NPC-EGRESS-CUSTOM",
        "-A WEAVE-NPC-EGRESS -m state --state NEW -m mark ! --mark 0x40000/0x40000 -j NFLOG "
        "--nflog-group 86",
        "-A WEAVE-NPC-EGRESS -m mark ! --mark 0x40000/0x40000 -j DROP",
        "-A WEAVE-NPC-EGRESS-ACCEPT -j MARK --set-xmark 0x40000/0x40000",
    };
    out.iptables = "*filter\n";
    for (const char* chain :
         {"WEAVE-NPC", "WEAVE-NPC-DEFAULT", "WEAVE-NPC-INGRESS", "WEAVE-NPC-EGRESS",
          "WEAVE-NPC-EGRESS-DEFAULT", "WEAVE-NPC-EGRESS-CUSTOM", "WEAVE-NPC-EGRESS-ACCEPT"})
        out.iptables += std::string(":") + chain + " - [0:0]\n";
    for (auto* v : {&lines, &defaults, &ingress_, &egressDefaults, &egress_})
        for (const auto& l : *v) {
            out.iptables += l + "\n";
            ++out.rules;
        }
    out.iptables += "COMMIT\n";
    return out;
}

}  // namespace

NpcRuleset weaveNpcRuleset(const ObjectSet& objects, const std::string& bridge) {
    return Builder(objects, bridge).build();
}

}  // namespace weft::bench
