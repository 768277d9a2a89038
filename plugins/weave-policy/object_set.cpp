#include "object_set.hpp"

namespace weft::weave {
namespace {

template <class Map, class K, class V>
Change::Action put(Map& map, const K& key, const V& value) {
    auto [it, inserted] = map.try_emplace(key, value);
    if (inserted)
        return Change::Action::Created;
    if (it->second == value)
        return Change::Action::Unchanged;
    it->second = value;
    return Change::Action::Updated;
}

}  // namespace

const char* actionName(Change::Action action) {
    switch (action) {
        case Change::Action::Created:
            return "created";
        case Change::Action::Updated:
            return "updated";
        case Change::Action::Unchanged:
            return "unchanged";
        case Change::Action::Deleted:
            return "deleted";
    }
    return "?";
}

std::vector<Change> ObjectSet::apply(const std::vector<Object>& objects) {
    std::vector<Change> changes;
    for (const auto& object : objects) {
        Change::Action action = std::visit(
            [&](const auto& o) {
                using T = std::decay_t<decltype(o)>;
                if constexpr (std::is_same_v<T, Namespace>)
                    return put(namespaces_, o.name, o);
                if constexpr (std::is_same_v<T, Pod>)
                    return put(pods_, std::pair{o.ns, o.name}, o);
                if constexpr (std::is_same_v<T, NetworkPolicy>)
                    return put(policies_, std::pair{o.ns, o.name}, o);
            },
            object);
        changes.push_back({keyOf(object), action});
    }
    return changes;
}

bool ObjectSet::remove(const ObjectKey& key) {
    switch (key.kind) {
        case Kind::Namespace:
            return namespaces_.erase(key.name) > 0;
        case Kind::Pod:
            return pods_.erase({key.ns, key.name}) > 0;
        case Kind::NetworkPolicy:
            return policies_.erase({key.ns, key.name}) > 0;
    }
    return false;
}

const Labels& ObjectSet::namespaceLabels(const std::string& ns) const {
    static const Labels none;
    auto it = namespaces_.find(ns);
    return it == namespaces_.end() ? none : it->second.labels;
}

std::vector<Object> ObjectSet::all() const {
    std::vector<Object> out;
    out.reserve(namespaces_.size() + pods_.size() + policies_.size());
    for (const auto& [_, o] : namespaces_)
        out.emplace_back(o);
    for (const auto& [_, o] : pods_)
        out.emplace_back(o);
    for (const auto& [_, o] : policies_)
        out.emplace_back(o);
    return out;
}

}  // namespace weft::weave
