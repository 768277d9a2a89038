// Reading a NetworkPolicy: selector, policyTypes and their defaults, rules, peers and ports.
#include "manifest_checks.hpp"
#include "manifest_objects.hpp"

namespace weft::weave {
namespace {

const Doc* member(const Doc* object, std::string_view key) {
    return FieldReader::member(object, key);
}

/// A CIDR as ipBlock takes one: with a length; host bits are tolerated (the API server
/// accepts them) and cleared.
std::optional<Prefix> readCidr(const Doc* value, const std::string& field, FieldReader& f) {
    std::optional<std::string> text = f.requiredString(value, field);
    if (!text)
        return std::nullopt;
    std::optional<Prefix> prefix;
    if (text->find('/') != std::string::npos)
        prefix = Prefix::parseLoose(*text);
    if (!prefix)
        f.fail(field, "invalid value " + quote(*text) +
                          ": must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    return prefix;
}

void readIpBlock(const Doc& value, const std::string& field, Peer& peer, FieldReader& f) {
    const Doc* block = f.item(value, field);
    if (block == nullptr)
        return;
    peer.ipBlock = readCidr(member(block, "cidr"), fieldPath(field, "cidr"), f);
    std::string exceptField = fieldPath(field, "except");
    const Doc* list = f.list(member(block, "except"), exceptField);
    if (list == nullptr)
        return;
    for (size_t i = 0; i < list->size(); ++i) {
        std::string itemField = fieldIndex(exceptField, i);
        std::optional<Prefix> except = readCidr(&(*list)[i], itemField, f);
        if (!except)
            continue;
        if (peer.ipBlock &&
            (!peer.ipBlock->contains(*except) || except->length <= peer.ipBlock->length)) {
            f.fail(itemField, "invalid value " + quote(except->str()) +
                                  ": must be a strict subset of `cidr` " + peer.ipBlock->str());
            continue;
        }
        peer.except.push_back(*except);
    }
}

Peer readPeer(const Doc& value, const std::string& field, FieldReader& f) {
    Peer peer;
    const Doc* entry = f.item(value, field);
    if (entry == nullptr)
        return peer;
    if (const Doc* v = member(entry, "podSelector"))
        peer.podSelector = readSelector(*v, fieldPath(field, "podSelector"), f);
    if (const Doc* v = member(entry, "namespaceSelector"))
        peer.namespaceSelector = readSelector(*v, fieldPath(field, "namespaceSelector"), f);
    const Doc* block = member(entry, "ipBlock");
    if (block != nullptr)
        readIpBlock(*block, fieldPath(field, "ipBlock"), peer, f);
    bool selectors = peer.podSelector || peer.namespaceSelector;
    if (block != nullptr && selectors)
        f.fail(field, "may not specify both ipBlock and another peer");
    else if (block == nullptr && !selectors)
        f.fail(field, "must specify a peer");
    return peer;
}

PolicyPort readPort(const Doc& value, const std::string& field, FieldReader& f) {
    PolicyPort port;
    const Doc* entry = f.item(value, field);
    if (entry == nullptr)
        return port;
    port.protocol =
        f.protocol(member(entry, "protocol"), fieldPath(field, "protocol")).value_or(kTcp);
    std::string portField = fieldPath(field, "port");
    const Doc* number = member(entry, "port");
    if (number != nullptr && number->is_string()) {
        // An IntOrString holding a string is a port name, even "80" (as the API server says).
        port.namedPort = number->get<std::string>();
        if (std::string reason = checkPortName(port.namedPort); !reason.empty())
            f.fail(portField, "invalid value " + quote(port.namedPort) + ": " + reason);
    } else if (number != nullptr && !number->is_number()) {
        f.wrongType(*number, "an integer or a port name", portField);
    } else {
        port.port = f.port(number, portField);
    }
    std::string endField = fieldPath(field, "endPort");
    const Doc* end = member(entry, "endPort");
    if (end == nullptr)
        return port;
    if (number == nullptr)
        f.fail(endField, "may not be specified when `port` is not specified");
    else if (!port.namedPort.empty())
        f.fail(endField, "may not be specified when `port` is non-numerical");
    port.endPort = f.port(end, endField);
    if (port.port && port.endPort && *port.endPort < *port.port)
        f.fail(endField, "must be greater than or equal to `port`");
    return port;
}

std::vector<PolicyRule> readRules(const Doc* value, const std::string& field, const char* peersKey,
                                  FieldReader& f) {
    std::vector<PolicyRule> rules;
    const Doc* list = f.list(value, field);
    if (list == nullptr)
        return rules;
    for (size_t r = 0; r < list->size(); ++r) {
        std::string ruleField = fieldIndex(field, r);
        PolicyRule rule;
        if (const Doc* entry = f.item((*list)[r], ruleField)) {
            std::string portsField = fieldPath(ruleField, "ports");
            if (const Doc* ports = f.list(member(entry, "ports"), portsField))
                for (size_t i = 0; i < ports->size(); ++i)
                    rule.ports.push_back(readPort((*ports)[i], fieldIndex(portsField, i), f));
            std::string peersField = fieldPath(ruleField, peersKey);
            if (const Doc* peers = f.list(member(entry, peersKey), peersField))
                for (size_t i = 0; i < peers->size(); ++i)
                    rule.peers.push_back(readPeer((*peers)[i], fieldIndex(peersField, i), f));
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

}  // namespace

NetworkPolicy readNetworkPolicy(const Doc& doc, const ObjectMeta& meta, FieldReader& f) {
    NetworkPolicy policy;
    policy.ns = meta.ns;
    policy.name = meta.name;
    const Doc* spec = f.map(member(&doc, "spec"), "spec");
    // podSelector is required by the schema but `{}` and a missing one both mean every pod.
    if (const Doc* selector = member(spec, "podSelector"))
        policy.podSelector = readSelector(*selector, "spec.podSelector", f);
    policy.ingressRules = readRules(member(spec, "ingress"), "spec.ingress", "from", f);
    policy.egressRules = readRules(member(spec, "egress"), "spec.egress", "to", f);
    const Doc* types = f.list(member(spec, "policyTypes"), "spec.policyTypes");
    if (types == nullptr || types->empty()) {
        policy.ingress = true;
        policy.egress = !policy.egressRules.empty();
        return policy;
    }
    policy.ingress = policy.egress = false;
    if (types->size() > 2)
        f.fail("spec.policyTypes", "may not specify more than two policyTypes");
    for (size_t i = 0; i < types->size(); ++i) {
        std::string field = fieldIndex("spec.policyTypes", i);
        std::optional<std::string> type = f.string(&(*types)[i], field);
        if (type == "Ingress")
            policy.ingress = true;
        else if (type == "Egress")
            policy.egress = true;
        else if (type)
            f.fail(field, "unsupported value " + quote(*type) +
                              ": supported values are \"Ingress\", \"Egress\"");
        else if ((*types)[i].is_null())
            f.wrongType((*types)[i], "a string", field);
    }
    return policy;
}

}  // namespace weft::weave
