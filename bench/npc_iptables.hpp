// npc-bench's baseline: the same objects as weave-npc enforces them, as `ipset restore` and
// `iptables-restore` input (the seed's layout, /work/shared/seeds/weave-npc.md).
//
// ipsets (names "weave-" + a digest, under ipset's 31 characters):
//   hash:ip per namespace: all its pods (what namespace selectors list), the pods not isolated
//     for ingress (default allow) and those not isolated for egress;
//   hash:ip per distinct pod selector within a namespace (targets and peers), and per
//     namespace selector + pod selector peer;
//   list:set per namespace-selector-only peer: the all-pods sets of the namespaces it picks;
//   hash:net per ipBlock, its excepts as `nomatch` entries;
//   hash:ip,port per named port ("ip,tcp:8080"): weave-npc has no named ports, this is how an
//     ipset ruleset resolves them per pod (as weft's np4_ sets do).
// iptables (filter table): FORWARD/INPUT steering on the bridge, WEAVE-NPC, WEAVE-NPC-DEFAULT
// (one rule per namespace), WEAVE-NPC-INGRESS (one ACCEPT rule per policy rule x peer x port),
// WEAVE-NPC-EGRESS, -EGRESS-DEFAULT, -EGRESS-CUSTOM (a mark rule and a RETURN rule per
// combination), -EGRESS-ACCEPT; denied NEW packets are NFLOGged (group 86) and dropped.
#pragma once

#include <string>

#include "object_set.hpp"

namespace weft::bench {

struct NpcRuleset {
    std::string ipset;     ///< `ipset restore` input
    std::string iptables;  ///< `iptables-restore` input (filter table only)
    size_t sets = 0, setEntries = 0, rules = 0;
};

/// The ruleset for `objects`, steering traffic of pods on `bridge`.
NpcRuleset weaveNpcRuleset(const weave::ObjectSet& objects, const std::string& bridge);

}  // namespace weft::bench
