// weave-policy: objects -> one nftables table (DESIGN.md section 9).
//
// Layout, in the order the seed (weave-npc) gives it:
//   forward/input/output base chains: established and related flows accepted first; then
//     packets to or from a pod interface go to `police` (forward), `egress` (input: pods to
//     the host) or, unless host traffic is allowed, `ingress` (output: the host to pods).
//   police:  jump egress, jump ingress.
//   egress:  clear the egress mark bit; `ip saddr vmap @eg_dispatch4` (and ip6) jumps, for a
//            pod isolated for egress, to its namespace's chain eg_ns_<ns>, which jumps to each
//            egress policy's chain eg_<ns>/<name> for the pods it selects; a rule there that
//            admits the packet sets the egress mark and returns. The namespace chain returns
//            when the mark is set, else logs (nflog, rate-limited) and drops.
//   ingress: `ip daddr vmap @in_dispatch4` to in_ns_<ns>, then in_<ns>/<name>, whose rules
//            accept; the namespace chain logs and drops what none accepted.
// Pods' addresses live in sets keyed by what selects them (one pair of sets per distinct
// selection, s4_<digest>/s6_<digest>), named ports in `addr . proto . port` sets per port name
// (np4_<name>), ipBlocks in interval sets: a pod's arrival, departure or relabelling changes
// set and map elements only (podsChanged), and a policy's rules are its own chains.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "object_set.hpp"
#include "selection.hpp"
#include "weft/state.hpp"

namespace weft::weave {

struct CompileOptions {
    std::string table = "weft_weave_policy";
    /// Pod interfaces: the bridge and routed pod interfaces ("veth*" patterns allowed).
    /// Empty: every forwarded packet is policed.
    std::vector<std::string> interfaces;
    Mark egressMark{0x2000000, 0x2000000};  ///< set on packets egress policy admitted
    uint16_t logGroup = 86;                 ///< nflog group of denied connections
    uint32_t logRate = 10;                  ///< logged denials per second; 0: none
    bool policeHostTraffic = false;         ///< police the host's own traffic to its pods
    bool operator==(const CompileOptions&) const = default;
};

/// Names of the table's counters of denied connections.
inline constexpr const char* kDeniedIngress = "denied_ingress";
inline constexpr const char* kDeniedEgress = "denied_egress";
/// nflog prefixes of denied connections (the `drops` view reads them back).
inline constexpr const char* kLogPrefixIngress = "weave-policy ingress denied";
inline constexpr const char* kLogPrefixEgress = "weave-policy egress denied";

class PolicyCompiler {
  public:
    /// Compiles everything from the objects: at start, on a config or policy change. Sets
    /// that survive keep their unchanged element chunks (ElementSet::update), so the engine
    /// sends only what changed.
    void rebuild(const ObjectSet& objects, const CompileOptions& options);
    /// After Pods or Namespaces changed (added, updated or deleted; not policies): edits the
    /// changed pods' set and map elements only. A Namespace key stands for all its pods.
    void podsChanged(const ObjectSet& objects, const std::vector<ObjectKey>& changed);
    /// The desired table (cheap: sets share their chunks with the compiler's).
    nft::Table table() const;

    /// Number of distinct selections and of policy chains, for describe().
    size_t selectionCount() const { return selections_.size(); }

  private:
    struct SelectionSets {
        std::string name4, name6;
        bool ingressTarget = false, egressTarget = false;  ///< some policy's targets
    };
    using Contribution = std::pair<std::string, nft::Element>;  // set name, element
    using PodKey = std::pair<std::string, std::string>;

    std::vector<Contribution> contributions(const ObjectSet& objects, const Pod& pod) const;
    void add(const PodKey& key, std::vector<Contribution> list);
    void removePod(const PodKey& key);
    void buildChains(const ObjectSet& objects);
    void indexNamespaces(const ObjectSet& objects);
    void indexNamespace(const ObjectSet& objects, const std::string& ns);
    const SelectionSets& selectionSets(const Selection& s) const { return selections_.at(s); }

    CompileOptions options_;
    std::map<Selection, SelectionSets> selections_;
    /// Selections scoped to one namespace, by namespace; and those that pick namespaces.
    std::map<std::string, std::vector<const Selection*>> byNamespace_;
    std::map<LabelSelector, std::vector<const Selection*>> byNsSelector_;
    /// Per namespace: the namespace selectors (keys of byNsSelector_) it matches.
    std::map<std::string, std::vector<const LabelSelector*>> nsMatches_;
    std::set<std::string> namedPorts_;            ///< port names some policy uses
    std::set<std::string> ingressNs_, egressNs_;  ///< namespaces with such policies
    std::map<std::string, nft::Set> sets_;
    std::vector<nft::Chain> chains_;
    std::map<PodKey, std::vector<Contribution>> contributed_;
};

}  // namespace weft::weave
