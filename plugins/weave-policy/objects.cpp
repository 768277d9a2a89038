#include "objects.hpp"

#include <algorithm>
#include <cctype>

namespace weft::weave {

std::string ObjectKey::str() const {
    std::string text = kindName(kind);
    text += ' ';
    if (!ns.empty())
        text += ns + '/';
    return text + name;
}

ObjectKey keyOf(const Object& object) {
    return std::visit(
        [](const auto& o) -> ObjectKey {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, Namespace>)
                return {Kind::Namespace, "", o.name};
            if constexpr (std::is_same_v<T, Pod>)
                return {Kind::Pod, o.ns, o.name};
            if constexpr (std::is_same_v<T, NetworkPolicy>)
                return {Kind::NetworkPolicy, o.ns, o.name};
        },
        object);
}

const char* kindName(Kind kind) {
    switch (kind) {
        case Kind::Namespace:
            return "Namespace";
        case Kind::Pod:
            return "Pod";
        case Kind::NetworkPolicy:
            return "NetworkPolicy";
    }
    return "?";
}

std::optional<Kind> parseKind(const std::string& text) {
    std::string k = text;
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
    if (k == "namespace" || k == "namespaces" || k == "ns")
        return Kind::Namespace;
    if (k == "pod" || k == "pods" || k == "po")
        return Kind::Pod;
    if (k == "networkpolicy" || k == "networkpolicies" || k == "netpol" ||
        k == "networkpolicy.networking.k8s.io")
        return Kind::NetworkPolicy;
    return std::nullopt;
}

}  // namespace weft::weave
