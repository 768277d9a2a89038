#include "selection.hpp"

#include <cstdio>

#include "selector.hpp"

namespace weft::weave {
namespace {

const char* opText(Requirement::Op op) {
    switch (op) {
        case Requirement::Op::In:
            return " in ";
        case Requirement::Op::NotIn:
            return " notin ";
        case Requirement::Op::Exists:
            return " exists";
        case Requirement::Op::DoesNotExist:
            return " !exists";
    }
    return "?";
}

std::string selectorText(const LabelSelector& s) {
    std::string out;
    for (const auto& [k, v] : s.matchLabels)
        out += k + "=" + v + ",";
    for (const auto& r : s.matchExpressions) {
        out += r.key + opText(r.op) + "(";
        for (const auto& v : r.values)
            out += v + ",";
        out += "),";
    }
    return out;
}

}  // namespace

std::string Selection::text() const {
    std::string out = ns ? "ns=" + *ns : "";
    if (nsSelector)
        out += "nssel=" + selectorText(*nsSelector);
    return out + ";pod=" + selectorText(podSelector);
}

Labels namespaceMatchLabels(const ObjectSet& objects, const std::string& ns) {
    Labels labels = objects.namespaceLabels(ns);
    labels["kubernetes.io/metadata.name"] = ns;
    return labels;
}

bool selects(const Selection& selection, const ObjectSet& objects, const Pod& pod) {
    if (selection.ns && *selection.ns != pod.ns)
        return false;
    if (selection.nsSelector &&
        !matches(*selection.nsSelector, namespaceMatchLabels(objects, pod.ns)))
        return false;
    return matches(selection.podSelector, pod.labels);
}

std::string digest(const std::string& text, size_t hexDigits) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return std::string(buf, std::min<size_t>(hexDigits, 16));
}

std::string nftName(const std::string& prefix, const std::string& readable) {
    constexpr size_t kMax = 200;  // below nftables' 255, with room for the digest
    std::string name = prefix + readable;
    if (name.size() <= kMax)
        return name;
    return name.substr(0, kMax - 13) + "~" + digest(name);
}

}  // namespace weft::weave
