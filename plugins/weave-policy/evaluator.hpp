// weave-policy: the reference verdict of one connection under NetworkPolicy semantics.
//
// Written straight from the Kubernetes API's documented semantics, independently of how the
// compiler (policy_compiler.hpp) lays the rules out in nftables: `weftctl policy explain`
// answers from it, the plugin asks it which live flows a change now denies, and the tests
// compare the kernel's verdicts with it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "object_set.hpp"

namespace weft::weave {

/// A connection's first packet: protocol (6, 17, 132, or another IP protocol) and, for TCP,
/// UDP and SCTP, the destination port.
struct Connection {
    Address source;
    Address destination;
    uint8_t protocol = kTcp;
    uint16_t port = 0;
};

/// A rule that allowed the connection: "x/allow-80", direction, index in that list.
struct RuleRef {
    ObjectKey policy;
    bool egress = false;
    size_t rule = 0;
    bool operator==(const RuleRef&) const = default;
};

/// One side's answer: the source pod's egress or the destination pod's ingress.
struct SideVerdict {
    std::optional<ObjectKey> pod;       ///< the pod owning that address, if any
    std::vector<ObjectKey> isolatedBy;  ///< policies of this direction selecting the pod
    std::vector<RuleRef> allowedBy;     ///< every rule of those that admits the connection
    /// Not isolated (no pod, or no policy selects it), or some rule admits it.
    bool allowed() const { return isolatedBy.empty() || !allowedBy.empty(); }
};

struct PolicyVerdict {
    SideVerdict egress;   ///< of the source pod
    SideVerdict ingress;  ///< of the destination pod
    bool allowed() const { return egress.allowed() && ingress.allowed(); }
};

/// The label a cluster puts on every namespace, valued with its name. Namespace selectors
/// see it on every namespace, whether a Namespace object names it or not, and whatever value
/// an object gives it (the API server overwrites it the same way), since upstream's e2e cases
/// select namespaces by it.
inline constexpr const char* kNamespaceNameLabel = "kubernetes.io/metadata.name";

/// Evaluates connections against one snapshot of objects, which must outlive it and not
/// change while it is used (it keeps pointers into it and indexes it once, when constructed).
/// Its const members keep no state, so several threads may call them at once.
class Evaluator {
  public:
    explicit Evaluator(const ObjectSet& objects);
    PolicyVerdict evaluate(const Connection& connection) const;
    /// The pod owning an address (any of its podIPs), if any. Should two pods claim one
    /// address, the first in (namespace, name) order owns it.
    const Pod* podAt(const Address& address) const;

  private:
    /// The policies isolating one pod, by name, worked out once.
    struct PodIndex {
        std::vector<const NetworkPolicy*> ingress;
        std::vector<const NetworkPolicy*> egress;
    };
    void indexPolicies();
    SideVerdict side(const Pod* pod, bool egress, const Connection& connection, const Pod* peer,
                     const Pod* destination) const;

    const ObjectSet& objects_;
    std::map<Address, const Pod*> byAddress_;
    /// Of every Namespace object and every namespace a pod is in, kNamespaceNameLabel added.
    std::map<std::string, Labels> namespaceLabels_;
    std::map<const Pod*, PodIndex> pods_;  ///< only the pods some policy isolates
};

/// "TCP", "UDP", "SCTP", "ICMP", "ICMPv6", or "protocol N" for any other IP protocol.
std::string protocolName(uint8_t protocol);

/// A one-line account: "denied: ingress of Pod x/a is isolated by NetworkPolicy x/deny-all
/// and no rule admits TCP port 80 from 10.0.0.2 (Pod y/b)".
/// As written: the other end prints as "Pod y/b (10.0.0.2)" or, if no pod's, the bare address;
/// an allowed verdict gives both sides' reasons ("egress of Pod y/b not isolated; ingress of
/// Pod x/a admitted by NetworkPolicy x/web ingress rule 0"), a denied one the denying sides.
std::string explain(const Evaluator& evaluator, const Connection& connection,
                    const PolicyVerdict& v);

}  // namespace weft::weave
