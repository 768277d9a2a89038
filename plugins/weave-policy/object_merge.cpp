#include "object_merge.hpp"

namespace weft::weave {
namespace {

ObjectKey podKey(const Pod& pod) {
    return {Kind::Pod, pod.ns, pod.name};
}

// Walks two maps ordered by the same key, reporting keys present in one only or with
// different values.
template <class Map, class ToKey>
void diff(const Map& a, const Map& b, ToKey toKey, std::vector<ObjectKey>& out) {
    auto i = a.begin();
    auto j = b.begin();
    while (i != a.end() || j != b.end()) {
        if (j == b.end() || (i != a.end() && i->first < j->first)) {
            out.push_back(toKey(i->first));
            ++i;
        } else if (i == a.end() || j->first < i->first) {
            out.push_back(toKey(j->first));
            ++j;
        } else {
            if (!(i->second == j->second))
                out.push_back(toKey(i->first));
            ++i;
            ++j;
        }
    }
}

}  // namespace

AddressOwners::AddressOwners(const ObjectSet& objects) {
    for (const auto& [_, pod] : objects.pods())
        for (const auto& ip : pod.ips)
            owner_.emplace(ip, podKey(pod));
}

std::optional<std::pair<ObjectKey, Address>> AddressOwners::clash(const Pod& pod) const {
    ObjectKey self = podKey(pod);
    for (const auto& ip : pod.ips)
        if (auto it = owner_.find(ip); it != owner_.end() && it->second != self)
            return std::pair{it->second, ip};
    return std::nullopt;
}

void AddressOwners::replace(const Pod* previous, const Pod& pod) {
    if (previous)
        for (const auto& ip : previous->ips)
            if (auto it = owner_.find(ip); it != owner_.end() && it->second == podKey(*previous))
                owner_.erase(it);
    for (const auto& ip : pod.ips)
        owner_[ip] = podKey(pod);
}

std::vector<ObjectKey> changedKeys(const ObjectSet& a, const ObjectSet& b) {
    std::vector<ObjectKey> out;
    diff(
        a.namespaces(), b.namespaces(),
        [](const std::string& n) {
            return ObjectKey{Kind::Namespace, "", n};
        },
        out);
    auto named = [](Kind kind) {
        return [kind](const std::pair<std::string, std::string>& k) {
            return ObjectKey{kind, k.first, k.second};
        };
    };
    diff(a.pods(), b.pods(), named(Kind::Pod), out);
    diff(a.policies(), b.policies(), named(Kind::NetworkPolicy), out);
    return out;
}

}  // namespace weft::weave
