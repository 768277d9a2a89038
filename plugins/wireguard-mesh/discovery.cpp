#include "discovery.hpp"

#include <algorithm>
#include <set>
#include <system_error>

#include "key_file.hpp"
#include "peer_registry.hpp"
#include "weft/json.hpp"

namespace weft::mesh {

namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::system_clock::time_point;

bool inside(const Address& a, const char* prefix) {
    return Prefix::parse(prefix)->contains(a);
}

/// An address other nodes might reach: not loopback, link-local, multicast, unspecified or
/// reserved. Private ranges (10/8, fc00::/7) count: the nodes of a cluster often share one.
bool globalUnicast(const Address& a) {
    if (a.family == Family::V4) {
        for (auto p : {"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4"})
            if (inside(a, p))
                return false;
        return true;
    }
    for (auto p : {"::/127", "fe80::/10", "ff00::/8", "::ffff:0:0/96"})
        if (inside(a, p))
            return false;
    return true;
}

int64_t unixMs(TimePoint t) {
    return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::vector<Endpoint> publishedEndpoints(const DiscoverySettings& settings,
                                         const std::vector<LinkInfo>& links,
                                         const std::string& meshInterface, uint16_t listenPort,
                                         const std::vector<Prefix>& throughMesh) {
    if (!settings.endpoints.empty())
        return settings.endpoints;
    std::vector<Endpoint> out;
    for (auto& link : links) {
        if (!link.up || link.name == meshInterface || link.name == "lo")
            continue;
        for (auto& a : link.addresses) {
            Endpoint e{a.address, listenPort};
            // A pod bridge's address is inside a network this node advertises (its pod
            // CIDR): the other nodes reach that network through the tunnel, not the underlay.
            // An advertised host prefix is this node's own address (KubeSpan's host
            // traffic): WireGuard's packets skip the steering and reach it as before.
            bool inMesh = std::any_of(throughMesh.begin(), throughMesh.end(), [&](const Prefix& p) {
                return p != Prefix::host(p.address) && p.contains(a.address);
            });
            if (globalUnicast(a.address) && !inMesh &&
                std::find(out.begin(), out.end(), e) == out.end())
                out.push_back(e);
        }
    }
    return out;
}

NodeRecord ownRecord(const std::string& nodeName, const MeshSettings& s,
                     const std::string& publicKey, const std::vector<LinkInfo>& links) {
    return NodeRecord{
        nodeName,
        publicKey,
        s.listenPort,
        publishedEndpoints(s.discovery, links, s.interface, s.listenPort, s.advertised),
        s.addresses,
        s.advertised};
}

Discovery::Discovery(Host& host, Clock clock, std::function<void()> changed)
    : host_(host), clock_(std::move(clock)), changed_(std::move(changed)) {}

Discovery::~Discovery() = default;

void Discovery::log(LogLevel level, const std::string& message) {
    host_.log(level, message);
}

std::filesystem::path Discovery::cacheFile() const {
    return host_.runtimeDirectory() / "discovered.json";
}

void Discovery::start() {
    restore();
    watch_ = host_.clusterWatch(kNodesPrefix, [this](const ClusterBatch& b) { onBatch(b); });
    if (!nodes_.empty())
        changed_();
}

void Discovery::stop() {
    if (watch_)
        host_.clusterUnwatch(watch_);
    watch_ = 0;
}

void Discovery::publish(const NodeRecord& record) {
    std::string text = encodeRecord(record);
    if (text == published_)
        return;
    host_.clusterPut(recordKey(record.name), text, RecordLifetime::Node);
    log(LogLevel::Info, "published " + recordKey(record.name) + ": " + text);
    published_ = std::move(text);
}

void Discovery::withdraw() {
    stop();
    host_.clusterDelete(recordKey(host_.clusterNodeName()));
    published_.clear();
    nodes_.clear();
    reported_.clear();
    std::error_code ec;
    std::filesystem::remove(cacheFile(), ec);
}

std::vector<PeerSpec> Discovery::peers() const {
    std::vector<PeerSpec> out;
    for (auto& [name, node] : nodes_)
        out.push_back(discoveredPeer(node.record));
    return out;
}

void Discovery::onBatch(const ClusterBatch& batch) {
    bool changed = false;
    if (batch.initial) {
        // The store as it is now replaces the cache; a node it lacks gets its grace period.
        std::set<std::string> present;
        for (auto& e : batch.events) {
            if (auto name = nodeOfKey(e.key))
                present.insert(*name);
        }
        for (auto& [name, node] : nodes_) {
            if (present.count(name) || node.goneSince)
                continue;
            node.goneSince = clock_();
            log(LogLevel::Notice, recordKey(name) +
                                      ": not in the cluster store any more; the peer stays for "
                                      "PeerDownAfter= unless the node returns");
            changed = true;
        }
    }
    for (auto& e : batch.events) {
        bool c = e.type == ClusterEvent::Type::Put ? put(e.key, e.value) : remove(e.key);
        changed = changed || c;
    }
    if (!changed)
        return;
    save();
    changed_();
}

bool Discovery::put(const std::string& key, const std::string& value) {
    auto name = nodeOfKey(key);
    if (!name) {
        log(LogLevel::Warning, clipped(key) + ": not a node record key (nodes/NAME); ignored");
        return false;
    }
    if (*name == host_.clusterNodeName())
        return false;  // our own record
    auto it = nodes_.find(*name);
    NodeRecord record;
    try {
        record = decodeRecord(key, value);
    } catch (const RecordError& e) {
        log(LogLevel::Warning, key + ": " + e.what() + "; ignored" +
                                   (it == nodes_.end() ? "" : " (its last good version stays)"));
        return false;
    }
    if (it != nodes_.end() && it->second.record == record && !it->second.goneSince) {
        it->second.text = value;
        return false;
    }
    if (it == nodes_.end())
        log(LogLevel::Info, key + ": node " + *name + " discovered");
    else if (it->second.goneSince)
        log(LogLevel::Info, key + ": node " + *name + " is back");
    if (it != nodes_.end() && it->second.record.publicKey != record.publicKey)
        log(LogLevel::Notice, key + ": node " + *name + " has a new public key");
    nodes_[*name] = Node{std::move(record), value, std::nullopt};
    reported_.erase(*name);  // a new version: its problems are worth a new line
    return true;
}

bool Discovery::remove(const std::string& key) {
    auto name = nodeOfKey(key);
    auto it = name ? nodes_.find(*name) : nodes_.end();
    if (it == nodes_.end() || it->second.goneSince)
        return false;
    it->second.goneSince = clock_();
    log(LogLevel::Notice, key +
                              ": deleted (the node's lease expired); the peer stays for "
                              "PeerDownAfter= unless the node returns");
    return true;
}

void Discovery::observeStore() {
    TimePoint now = clock_();
    // An outage does not count: only the store says a node is gone, and while it does not
    // answer the clock stands still.
    if (host_.clusterState() != ClusterState::Connected) {
        if (!pausedSince_)
            pausedSince_ = now;
        return;
    }
    if (!pausedSince_)
        return;
    auto outage = now - *pausedSince_;
    for (auto& [name, node] : nodes_) {
        if (node.goneSince)
            *node.goneSince += outage;
    }
    pausedSince_.reset();
}

bool Discovery::expire(milliseconds grace) {
    observeStore();
    if (pausedSince_)
        return false;
    TimePoint now = clock_();
    bool any = false;
    for (auto it = nodes_.begin(); it != nodes_.end();) {
        if (!it->second.goneSince || now - *it->second.goneSince < grace) {
            ++it;
            continue;
        }
        log(LogLevel::Notice,
            recordKey(it->first) + ": gone for PeerDownAfter=; peer " + it->first + " removed");
        reported_.erase(it->first);
        it = nodes_.erase(it);
        any = true;
    }
    if (any)
        save();
    return any;
}

void Discovery::reportShadowed(const std::map<std::string, std::string>& shadowed) {
    for (auto& [name, why] : shadowed) {
        auto it = reported_.find(name);
        if (it != reported_.end() && it->second == why)
            continue;
        reported_[name] = why;
        log(LogLevel::Warning, recordKey(name) + ": ignored: " + why);
    }
    std::erase_if(reported_, [&](const auto& r) { return !shadowed.count(r.first); });
}

void Discovery::restore() {
    auto file = cacheFile();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return;
    Json doc;
    try {
        doc = Json::parse(readTextFile(file, 64 << 20));
        if (!doc.is_object() || !doc.contains("nodes") || !doc.at("nodes").is_array())
            throw std::runtime_error("not a discovery cache");
    } catch (const std::exception& e) {
        // Only a cache: the watch's first batch brings everything again.
        log(LogLevel::Warning, file.string() + ": " + e.what() + "; starting without it");
        return;
    }
    for (auto& entry : doc.at("nodes")) {
        try {
            std::string key = entry.at("key").get<std::string>();
            std::string value = entry.at("value").get<std::string>();
            auto name = nodeOfKey(key);
            if (!name || *name == host_.clusterNodeName())
                continue;
            Node node{decodeRecord(key, value), value, std::nullopt};
            if (entry.contains("goneSince") && !entry.at("goneSince").is_null())
                node.goneSince = TimePoint(milliseconds(entry.at("goneSince").get<int64_t>()));
            nodes_[*name] = std::move(node);
        } catch (const std::exception& e) {
            log(LogLevel::Warning, file.string() + ": an entry skipped: " + e.what());
        }
    }
    if (!nodes_.empty()) {
        log(LogLevel::Info, "restored " + std::to_string(nodes_.size()) +
                                " discovered node(s) from " + file.string());
    }
}

void Discovery::save() {
    Json list = Json::array();
    for (auto& [name, node] : nodes_) {
        Json j = Json::object();
        j["key"] = recordKey(name);
        j["value"] = node.text;
        j["goneSince"] = node.goneSince ? Json(unixMs(*node.goneSince)) : Json();
        list.push_back(std::move(j));
    }
    Json doc = Json::object();
    doc["version"] = 1;
    doc["nodes"] = std::move(list);
    try {
        writeFileAtomically(cacheFile(), jsonText(doc, 2) + "\n", 0644);
    } catch (const std::exception& e) {
        log(LogLevel::Error, e.what());
    }
}

}  // namespace weft::mesh
