// weave-policy: the Kubernetes objects it enforces, as plain values.
//
// Only the fields NetworkPolicy semantics read are kept. Parsing (manifest.hpp) fills them
// and checks them, so every value here is valid: names are DNS labels, ports in range, a
// named port is an IANA_SVC_NAME, an ipBlock's excepts lie inside its cidr.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "weft/prefix.hpp"

namespace weft::weave {

using Labels = std::map<std::string, std::string>;

/// One matchExpressions entry.
struct Requirement {
    enum class Op { In, NotIn, Exists, DoesNotExist };
    std::string key;
    Op op = Op::Exists;
    std::vector<std::string> values;  ///< sorted, for In and NotIn only
    auto operator<=>(const Requirement&) const = default;
};

/// A metav1.LabelSelector. Every part must match; an empty selector selects everything.
struct LabelSelector {
    Labels matchLabels;
    std::vector<Requirement> matchExpressions;
    auto operator<=>(const LabelSelector&) const = default;
};

inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
inline constexpr uint8_t kSctp = 132;

struct Namespace {
    std::string name;
    Labels labels;
    auto operator<=>(const Namespace&) const = default;
};

/// spec.containers[].ports[] of a pod; `name` may be empty.
struct ContainerPort {
    std::string name;
    uint16_t port = 0;
    uint8_t protocol = kTcp;
    auto operator<=>(const ContainerPort&) const = default;
};

struct Pod {
    std::string ns;
    std::string name;
    Labels labels;
    std::vector<Address> ips;  ///< status.podIPs (or status.podIP); may be empty (pending)
    std::vector<ContainerPort> ports;
    auto operator<=>(const Pod&) const = default;
};

/// One entry of a rule's ports: a protocol and a numbered port (with an optional endPort),
/// a named port, or neither (every port of the protocol).
struct PolicyPort {
    uint8_t protocol = kTcp;
    std::optional<uint16_t> port;
    std::optional<uint16_t> endPort;  ///< only with a numbered port; >= port
    std::string namedPort;            ///< set instead of `port`
    auto operator<=>(const PolicyPort&) const = default;
};

/// One from/to entry: pods (podSelector and/or namespaceSelector) or an ipBlock.
struct Peer {
    std::optional<LabelSelector> podSelector;
    std::optional<LabelSelector> namespaceSelector;
    std::optional<Prefix> ipBlock;
    std::vector<Prefix> except;  ///< within ipBlock
    auto operator<=>(const Peer&) const = default;
};

/// One ingress or egress rule. No peers: every peer. No ports: every port and protocol.
struct PolicyRule {
    std::vector<Peer> peers;
    std::vector<PolicyPort> ports;
    auto operator<=>(const PolicyRule&) const = default;
};

struct NetworkPolicy {
    std::string ns;
    std::string name;
    LabelSelector podSelector;
    bool ingress = true;  ///< policyTypes has Ingress (after defaulting)
    bool egress = false;  ///< policyTypes has Egress (after defaulting)
    std::vector<PolicyRule> ingressRules;
    std::vector<PolicyRule> egressRules;
    auto operator<=>(const NetworkPolicy&) const = default;
};

using Object = std::variant<Namespace, Pod, NetworkPolicy>;

enum class Kind { Namespace, Pod, NetworkPolicy };

/// Identity of an object: its kind, namespace ("" for a Namespace) and name.
struct ObjectKey {
    Kind kind = Kind::Pod;
    std::string ns;
    std::string name;
    auto operator<=>(const ObjectKey&) const = default;
    /// "Pod x/a", "Namespace x", "NetworkPolicy x/deny-all": how errors and replies name it.
    std::string str() const;
};

ObjectKey keyOf(const Object& object);
/// "Namespace", "Pod", "NetworkPolicy".
const char* kindName(Kind kind);
/// Parses a kind as kubectl accepts it ("pod", "pods", "po", "networkpolicy", "netpol", ...).
std::optional<Kind> parseKind(const std::string& text);

}  // namespace weft::weave
