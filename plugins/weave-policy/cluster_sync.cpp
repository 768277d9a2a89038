#include "cluster_sync.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "manifest.hpp"
#include "weft/json.hpp"

namespace weft::weave {
namespace {

constexpr std::string_view kObjects = "objects/";

// A key as a log line shows it: bounded, since it comes from the network.
std::string shown(const std::string& key) {
    return key.size() > 200 ? key.substr(0, 200) + "..." : key;
}

bool contains(const ObjectSet& objects, const ObjectKey& key) {
    switch (key.kind) {
        case Kind::Namespace:
            return objects.namespaces().count(key.name) > 0;
        case Kind::Pod:
            return objects.pods().count({key.ns, key.name}) > 0;
        case Kind::NetworkPolicy:
            return objects.policies().count({key.ns, key.name}) > 0;
    }
    return false;
}

}  // namespace

std::string ClusterObjects::recordKey(const ObjectKey& key) {
    return std::string(kObjects) + kindName(key.kind) + "/" + (key.ns.empty() ? "_" : key.ns) +
           "/" + key.name;
}

std::optional<ObjectKey> ClusterObjects::parseRecordKey(const std::string& key, std::string& why) {
    if (!key.starts_with(kObjects)) {
        why = "not under objects/";
        return std::nullopt;
    }
    std::vector<std::string> parts;
    std::string rest = key.substr(kObjects.size());
    for (size_t start = 0;;) {
        size_t slash = rest.find('/', start);
        parts.push_back(rest.substr(start, slash - start));
        if (slash == std::string::npos)
            break;
        start = slash + 1;
    }
    if (parts.size() != 3 ||
        std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
        why = "the key is not objects/<Kind>/<namespace or _>/<name>";
        return std::nullopt;
    }
    std::optional<Kind> kind;
    for (Kind k : {Kind::Namespace, Kind::Pod, Kind::NetworkPolicy})
        if (parts[0] == kindName(k))
            kind = k;
    if (!kind) {
        why = "the key's kind is not Namespace, Pod or NetworkPolicy";
        return std::nullopt;
    }
    if ((*kind == Kind::Namespace) != (parts[1] == "_")) {
        why = *kind == Kind::Namespace ? "a Namespace's key has _ for its namespace"
                                       : "the key's namespace cannot be _";
        return std::nullopt;
    }
    return ObjectKey{*kind, *kind == Kind::Namespace ? "" : parts[1], parts[2]};
}

RecordLifetime ClusterObjects::lifetimeOf(Kind kind) {
    return kind == Kind::Pod ? RecordLifetime::Node : RecordLifetime::Persistent;
}

// ---------------------------------------------------------------- this node's records
void ClusterObjects::publish(Host& host, const ObjectSet& local, const Warn& warn) {
    std::map<ObjectKey, Object> want;
    for (auto& o : local.all())
        want.emplace(keyOf(o), std::move(o));
    for (auto it = published_.begin(); it != published_.end();) {
        if (want.count(it->first)) {
            ++it;
            continue;
        }
        host.clusterDelete(recordKey(it->first));
        it = published_.erase(it);
    }
    for (auto& [key, object] : want) {
        auto it = published_.find(key);
        if (it != published_.end() && it->second == object)
            continue;  // serialised only when changed: an Apply costs what it changed
        try {
            host.clusterPut(recordKey(key), jsonText(toManifest(object)), lifetimeOf(key.kind));
            published_.insert_or_assign(key, std::move(object));
        } catch (const std::invalid_argument& e) {
            warn(key.str() + " is not stored cluster-wide: " + e.what());
        }
    }
}

bool ClusterObjects::erase(Host& host, const ObjectKey& key) {
    host.clusterDelete(recordKey(key));
    published_.erase(key);
    return store_.erase(key) > 0;
}

// ---------------------------------------------------------------- the store's records
std::optional<ObjectKey> ClusterObjects::put(const std::string& key, const std::string& value,
                                             const Warn& warn, bool& changed) {
    std::string why;
    auto named = parseRecordKey(key, why);
    if (!named) {
        warn("cluster record " + shown(key) + ": " + why + "; ignored");
        return std::nullopt;
    }
    auto it = store_.find(*named);
    if (it != store_.end() && it->second.value == value)
        return named;
    ParsedManifest parsed = parseManifest(value, shown(key));
    if (!parsed.errors.empty()) {
        // The parser's error starts with the key already (its "file" name).
        warn("cluster record " + parsed.errors.front().str() + "; ignored" +
             (it != store_.end() ? " (its last good version stays)" : ""));
        return named;
    }
    if (parsed.objects.size() != 1)
        why = "holds " + std::to_string(parsed.objects.size()) +
              " Namespaces, Pods or NetworkPolicies, not one";
    else if (keyOf(parsed.objects.front()) != *named)
        why = "holds " + keyOf(parsed.objects.front()).str() + ", not " + named->str();
    if (!why.empty()) {
        warn("cluster record " + shown(key) + ": " + why + "; ignored" +
             (it != store_.end() ? " (its last good version stays)" : ""));
        return named;
    }
    if (it == store_.end())
        store_.emplace(*named, Record{std::move(parsed.objects.front()), value, nextOrder_++});
    else {
        it->second.value = value;
        if (it->second.object == parsed.objects.front())
            return named;  // the same object, written differently
        it->second.object = std::move(parsed.objects.front());
    }
    changed = true;
    return named;
}

bool ClusterObjects::receive(const ClusterBatch& batch, const Warn& warn) {
    bool changed = false;
    std::set<ObjectKey> seen;
    for (const auto& e : batch.events) {
        if (e.type == ClusterEvent::Type::Put) {
            if (auto key = put(e.key, e.value, warn, changed))
                seen.insert(*key);
            continue;
        }
        std::string why;
        auto key = parseRecordKey(e.key, why);
        if (!key) {
            warn("cluster record " + shown(e.key) + ": " + why + "; ignored");
            continue;
        }
        changed |= store_.erase(*key) > 0;
        seen.erase(*key);
        // Our own erase() forgets the key first, so this Delete came from elsewhere.
        if (key->kind != Kind::Pod && published_.erase(*key))
            deletedElsewhere_.push_back(*key);
    }
    // The whole key space as it is: what it no longer holds is gone.
    if (batch.initial)
        changed |= std::erase_if(store_, [&](const auto& r) { return !seen.count(r.first); }) > 0;
    return changed;
}

std::vector<ObjectKey> ClusterObjects::takeDeletedElsewhere() {
    return std::exchange(deletedElsewhere_, {});
}

void ClusterObjects::overlay(ObjectSet& objects, AddressOwners& owners,
                             std::vector<std::string>& refused) const {
    std::vector<const std::pair<const ObjectKey, Record>*> byAge;
    for (const auto& r : store_)
        byAge.push_back(&r);
    std::sort(byAge.begin(), byAge.end(),
              [](auto* a, auto* b) { return a->second.order < b->second.order; });
    std::set<ObjectKey> local;
    for (const auto* r : byAge)
        if (contains(objects, r->first))
            local.insert(r->first);
    for (const auto* r : byAge) {
        if (local.count(r->first))
            continue;  // this node's own version is in force here
        if (const auto* pod = std::get_if<Pod>(&r->second.object)) {
            if (auto clash = owners.clash(*pod)) {
                refused.push_back("cluster record " + recordKey(r->first) +
                                  " refused: status.podIPs: " + clash->second.str() + " is also " +
                                  clash->first.str() + "'s (" + recordKey(clash->first) + ")");
                continue;
            }
            owners.replace(nullptr, *pod);
        }
        objects.apply({r->second.object});
    }
}

// ---------------------------------------------------------------- cache
void ClusterObjects::loadCache(const std::filesystem::path& path, const Warn& warn) {
    std::ifstream in(path);
    if (!in)
        return;
    std::stringstream text;
    text << in.rdbuf();
    ClusterBatch batch;
    try {
        Json j = Json::parse(text.str());
        for (const auto& r : j.at("records"))
            batch.events.push_back({ClusterEvent::Type::Put, r.at("key").get<std::string>(),
                                    r.at("value").get<std::string>()});
    } catch (const Json::exception& e) {
        warn("cluster cache " + path.string() + ": " + e.what() + "; not used");
        return;
    }
    store_.clear();
    receive(batch, warn);
}

void ClusterObjects::saveCache(const std::filesystem::path& path, const Warn& warn) const {
    std::vector<const std::pair<const ObjectKey, Record>*> byAge;
    for (const auto& r : store_)
        byAge.push_back(&r);
    std::sort(byAge.begin(), byAge.end(),
              [](auto* a, auto* b) { return a->second.order < b->second.order; });
    Json records = Json::array();
    for (const auto* r : byAge)  // oldest first: a restart keeps who came first
        records.push_back({{"key", recordKey(r->first)}, {"value", r->second.value}});
    auto tmp = path;
    tmp += ".new";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << jsonText(Json{{"version", 1}, {"records", records}}) << '\n';
        if (!out) {
            warn("cannot write " + tmp.string());
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        warn("cannot write " + path.string() + ": " + ec.message());
}

}  // namespace weft::weave
