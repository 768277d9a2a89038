// toManifest: objects back to Kubernetes manifests (for /run/weft and `weftctl policy list`).
#include <set>

#include "manifest.hpp"

namespace weft::weave {
namespace {

const char* protocolName(uint8_t protocol) {
    switch (protocol) {
        case kUdp:
            return "UDP";
        case kSctp:
            return "SCTP";
        default:
            return "TCP";
    }
}

const char* opName(Requirement::Op op) {
    switch (op) {
        case Requirement::Op::In:
            return "In";
        case Requirement::Op::NotIn:
            return "NotIn";
        case Requirement::Op::Exists:
            return "Exists";
        case Requirement::Op::DoesNotExist:
            return "DoesNotExist";
    }
    return "?";
}

Json labelsJson(const Labels& labels) {
    Json j = Json::object();
    for (const auto& [k, v] : labels)
        j[k] = v;
    return j;
}

Json metadata(const std::string& ns, const std::string& name, const Labels& labels) {
    Json meta = Json::object();
    meta["name"] = name;
    if (!ns.empty())
        meta["namespace"] = ns;
    if (!labels.empty())
        meta["labels"] = labelsJson(labels);
    return meta;
}

Json selectorJson(const LabelSelector& selector) {
    Json j = Json::object();
    if (!selector.matchLabels.empty())
        j["matchLabels"] = labelsJson(selector.matchLabels);
    if (selector.matchExpressions.empty())
        return j;
    Json list = Json::array();
    for (const Requirement& r : selector.matchExpressions) {
        Json e = {{"key", r.key}, {"operator", opName(r.op)}};
        if (!r.values.empty())
            e["values"] = r.values;
        list.push_back(std::move(e));
    }
    j["matchExpressions"] = std::move(list);
    return j;
}

Json peerJson(const Peer& peer) {
    Json j = Json::object();
    if (peer.podSelector)
        j["podSelector"] = selectorJson(*peer.podSelector);
    if (peer.namespaceSelector)
        j["namespaceSelector"] = selectorJson(*peer.namespaceSelector);
    if (peer.ipBlock) {
        Json block = {{"cidr", peer.ipBlock->str()}};
        if (!peer.except.empty()) {
            Json except = Json::array();
            for (const Prefix& p : peer.except)
                except.push_back(p.str());
            block["except"] = std::move(except);
        }
        j["ipBlock"] = std::move(block);
    }
    return j;
}

Json portJson(const PolicyPort& port) {
    Json j = {{"protocol", protocolName(port.protocol)}};
    if (port.port)
        j["port"] = *port.port;
    if (!port.namedPort.empty())
        j["port"] = port.namedPort;
    if (port.endPort)
        j["endPort"] = *port.endPort;
    return j;
}

Json rulesJson(const std::vector<PolicyRule>& rules, const char* peersKey) {
    Json list = Json::array();
    for (const PolicyRule& rule : rules) {
        Json j = Json::object();
        if (!rule.peers.empty()) {
            j[peersKey] = Json::array();
            for (const Peer& peer : rule.peers)
                j[peersKey].push_back(peerJson(peer));
        }
        if (!rule.ports.empty()) {
            j["ports"] = Json::array();
            for (const PolicyPort& port : rule.ports)
                j["ports"].push_back(portJson(port));
        }
        list.push_back(std::move(j));
    }
    return list;
}

Json namespaceJson(const Namespace& ns) {
    return {{"apiVersion", "v1"},
            {"kind", "Namespace"},
            {"metadata", metadata("", ns.name, ns.labels)}};
}

/// The containers a pod's ports came from are not kept: ports go into one container, and a
/// new one starts where a port name repeats (names are unique per container), so the ports
/// read back in the same order.
Json podJson(const Pod& pod) {
    Json j = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", metadata(pod.ns, pod.name, pod.labels)}};
    std::set<std::string> names;  // of the last container
    Json containers = Json::array();
    for (const ContainerPort& port : pod.ports) {
        if (containers.empty() || names.contains(port.name)) {
            names.clear();
            std::string name = "c" + std::to_string(containers.size());
            containers.push_back({{"name", name}, {"ports", Json::array()}});
        }
        size_t c = containers.size() - 1;
        if (!port.name.empty())
            names.insert(port.name);
        Json p = Json::object();
        if (!port.name.empty())
            p["name"] = port.name;
        p["containerPort"] = port.port;
        p["protocol"] = protocolName(port.protocol);
        containers[c]["ports"].push_back(std::move(p));
    }
    if (!containers.empty())
        j["spec"] = {{"containers", std::move(containers)}};
    if (!pod.ips.empty()) {
        Json ips = Json::array();
        for (const Address& a : pod.ips)
            ips.push_back({{"ip", a.str()}});
        j["status"] = {{"podIP", pod.ips.front().str()}, {"podIPs", std::move(ips)}};
    }
    return j;
}

Json policyJson(const NetworkPolicy& policy) {
    Json spec = {{"podSelector", selectorJson(policy.podSelector)}};
    Json types = Json::array();
    if (policy.ingress)
        types.push_back("Ingress");
    if (policy.egress)
        types.push_back("Egress");
    spec["policyTypes"] = std::move(types);  // explicit, so no defaulting applies on reading
    if (!policy.ingressRules.empty())
        spec["ingress"] = rulesJson(policy.ingressRules, "from");
    if (!policy.egressRules.empty())
        spec["egress"] = rulesJson(policy.egressRules, "to");
    return {{"apiVersion", "networking.k8s.io/v1"},
            {"kind", "NetworkPolicy"},
            {"metadata", metadata(policy.ns, policy.name, {})},
            {"spec", std::move(spec)}};
}

}  // namespace

Json toManifest(const Object& object) {
    return std::visit(
        [](const auto& o) -> Json {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, Namespace>)
                return namespaceJson(o);
            if constexpr (std::is_same_v<T, Pod>)
                return podJson(o);
            if constexpr (std::is_same_v<T, NetworkPolicy>)
                return policyJson(o);
        },
        object);
}

}  // namespace weft::weave
