// Reading metadata, labels, selectors, Namespaces and Pods (NetworkPolicy: manifest_policy.cpp).
#include <algorithm>
#include <set>

#include "manifest_checks.hpp"
#include "manifest_objects.hpp"

namespace weft::weave {
namespace {

const Doc* member(const Doc* object, std::string_view key) {
    return FieldReader::member(object, key);
}

/// Records `reason` (when not empty) as an invalid value of `field`.
void check(FieldReader& f, const std::string& field, std::string_view value,
           const std::string& reason) {
    if (!reason.empty())
        f.fail(field, "invalid value " + quote(value) + ": " + reason);
}

std::optional<Requirement::Op> parseOp(const std::string& op) {
    if (op == "In")
        return Requirement::Op::In;
    if (op == "NotIn")
        return Requirement::Op::NotIn;
    if (op == "Exists")
        return Requirement::Op::Exists;
    if (op == "DoesNotExist")
        return Requirement::Op::DoesNotExist;
    return std::nullopt;
}

Requirement readRequirement(const Doc& value, const std::string& field, FieldReader& f) {
    Requirement r;
    const Doc* entry = f.item(value, field);
    if (entry == nullptr)
        return r;
    std::string keyField = fieldPath(field, "key");
    if (auto key = f.requiredString(member(entry, "key"), keyField)) {
        r.key = *key;
        check(f, keyField, r.key, checkLabelKey(r.key));
    }
    std::string opField = fieldPath(field, "operator");
    std::optional<std::string> op = f.requiredString(member(entry, "operator"), opField);
    if (op && parseOp(*op))
        r.op = *parseOp(*op);
    else if (op)
        f.fail(opField, "unsupported value " + quote(*op) +
                            ": supported values are \"In\", \"NotIn\", \"Exists\", "
                            "\"DoesNotExist\"");
    std::string valuesField = fieldPath(field, "values");
    size_t before = f.issues().size();
    if (const Doc* values = f.list(member(entry, "values"), valuesField)) {
        for (size_t i = 0; i < values->size(); ++i) {
            std::string valueField = fieldIndex(valuesField, i);
            if (auto v = f.string(&(*values)[i], valueField)) {
                check(f, valueField, *v, checkLabelValue(*v));
                r.values.push_back(*v);
            } else if ((*values)[i].is_null()) {
                f.wrongType((*values)[i], "a string", valueField);
            }
        }
    }
    std::sort(r.values.begin(), r.values.end());
    r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
    bool withValues = r.op == Requirement::Op::In || r.op == Requirement::Op::NotIn;
    bool valuesRead = f.issues().size() == before;
    if (op && parseOp(*op) && withValues && r.values.empty() && valuesRead)
        f.fail(valuesField, "must be specified when `operator` is 'In' or 'NotIn'");
    if (op && parseOp(*op) && !withValues && !r.values.empty())
        f.fail(valuesField, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    return r;
}

/// Pod IPs: valid addresses, no more than one of each family (as the API server requires).
std::vector<Address> readPodIps(const Doc* status, FieldReader& f) {
    std::vector<std::pair<std::string, std::string>> texts;  // (field, address)
    if (const Doc* list = f.list(member(status, "podIPs"), "status.podIPs")) {
        for (size_t i = 0; i < list->size(); ++i) {
            std::string field = fieldIndex("status.podIPs", i);
            const Doc* entry = f.item((*list)[i], field);
            std::string ipField = fieldPath(field, "ip");
            if (auto ip = f.requiredString(member(entry, "ip"), ipField))
                texts.emplace_back(ipField, *ip);
        }
    }
    if (texts.empty()) {
        if (auto ip = f.string(member(status, "podIP"), "status.podIP"); ip && !ip->empty())
            texts.emplace_back("status.podIP", *ip);
    }
    std::vector<Address> ips;
    for (const auto& [field, text] : texts) {
        std::optional<Address> a = Address::parse(text);
        if (!a) {
            check(f, field, text, "must be a valid IP address");
            continue;
        }
        for (const Address& seen : ips) {
            if (seen.family == a->family) {
                f.fail("status.podIPs", "may specify no more than one IP for each IP family");
                break;
            }
        }
        ips.push_back(*a);
    }
    return ips;
}

std::vector<ContainerPort> readContainerPorts(const Doc* spec, FieldReader& f) {
    std::vector<ContainerPort> ports;
    const Doc* containers = f.list(member(spec, "containers"), "spec.containers");
    if (containers == nullptr)
        return ports;
    for (size_t c = 0; c < containers->size(); ++c) {
        std::string containerField = fieldIndex("spec.containers", c);
        const Doc* container = f.item((*containers)[c], containerField);
        std::string portsField = fieldPath(containerField, "ports");
        const Doc* list = f.list(member(container, "ports"), portsField);
        if (list == nullptr)
            continue;
        std::set<std::string> names;  // unique within a container, as the API server wants
        for (size_t i = 0; i < list->size(); ++i) {
            std::string field = fieldIndex(portsField, i);
            const Doc* entry = f.item((*list)[i], field);
            if (entry == nullptr)
                continue;
            ContainerPort port;
            std::string nameField = fieldPath(field, "name");
            port.name = f.string(member(entry, "name"), nameField).value_or("");
            if (!port.name.empty()) {
                check(f, nameField, port.name, checkPortName(port.name));
                if (!names.insert(port.name).second)
                    f.fail(nameField, "duplicate value " + quote(port.name));
            }
            std::string portField = fieldPath(field, "containerPort");
            if (member(entry, "containerPort") == nullptr)
                f.fail(portField, "required value");
            port.port = f.port(member(entry, "containerPort"), portField).value_or(0);
            port.protocol =
                f.protocol(member(entry, "protocol"), fieldPath(field, "protocol")).value_or(kTcp);
            ports.push_back(std::move(port));
        }
    }
    return ports;
}

}  // namespace

ObjectMeta readMeta(const Doc& doc, Kind kind, FieldReader& f) {
    ObjectMeta meta;
    const Doc* metadata = f.map(member(&doc, "metadata"), "metadata");
    if (auto name = f.requiredString(member(metadata, "name"), "metadata.name")) {
        meta.name = *name;
        check(f, "metadata.name", meta.name,
              kind == Kind::Namespace ? checkDns1123Label(meta.name)
                                      : checkDns1123Subdomain(meta.name));
    }
    if (kind == Kind::Namespace)
        return meta;  // cluster-scoped: metadata.namespace unused
    meta.ns = f.string(member(metadata, "namespace"), "metadata.namespace").value_or("");
    if (meta.ns.empty())
        meta.ns = "default";  // kubectl's default for a manifest without one
    check(f, "metadata.namespace", meta.ns, checkDns1123Label(meta.ns));
    return meta;
}

Labels readLabels(const Doc* value, const std::string& field, FieldReader& f) {
    Labels labels;
    const Doc* map = f.map(value, field);
    if (map == nullptr)
        return labels;
    for (const auto& [key, v] : map->get_ref<const Doc::object_t&>()) {
        if (std::string reason = checkLabelKey(key); !reason.empty())
            f.fail(field, "invalid key " + quote(key) + ": " + reason);
        std::string valueField = fieldKey(field, key);
        std::string text = f.string(&v, valueField).value_or("");
        check(f, valueField, text, checkLabelValue(text));
        labels.emplace(key, std::move(text));
    }
    return labels;
}

LabelSelector readSelector(const Doc& value, const std::string& field, FieldReader& f) {
    LabelSelector selector;
    const Doc* map = f.item(value, field);
    if (map == nullptr)
        return selector;
    std::string labelsField = fieldPath(field, "matchLabels");
    selector.matchLabels = readLabels(member(map, "matchLabels"), labelsField, f);
    std::string exprField = fieldPath(field, "matchExpressions");
    if (const Doc* list = f.list(member(map, "matchExpressions"), exprField)) {
        for (size_t i = 0; i < list->size(); ++i)
            selector.matchExpressions.push_back(
                readRequirement((*list)[i], fieldIndex(exprField, i), f));
    }
    return selector;
}

Namespace readNamespace(const Doc& doc, const ObjectMeta& meta, FieldReader& f) {
    Namespace ns;
    ns.name = meta.name;
    ns.labels = readLabels(member(member(&doc, "metadata"), "labels"), "metadata.labels", f);
    return ns;
}

Pod readPod(const Doc& doc, const ObjectMeta& meta, FieldReader& f) {
    Pod pod;
    pod.ns = meta.ns;
    pod.name = meta.name;
    pod.labels = readLabels(member(member(&doc, "metadata"), "labels"), "metadata.labels", f);
    const Doc* spec = f.map(member(&doc, "spec"), "spec");
    pod.ports = readContainerPorts(spec, f);
    const Doc* status = f.map(member(&doc, "status"), "status");
    pod.ips = readPodIps(status, f);
    bool hostNetwork = f.boolean(member(spec, "hostNetwork"), "spec.hostNetwork").value_or(false);
    std::string phase = f.string(member(status, "phase"), "status.phase").value_or("");
    if (hostNetwork || phase == "Succeeded" || phase == "Failed")
        pod.ips.clear();
    return pod;
}

}  // namespace weft::weave
