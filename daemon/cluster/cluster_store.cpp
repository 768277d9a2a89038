#include "cluster_store.hpp"

#include <chrono>
#include <stdexcept>

#include "log.hpp"

namespace weft::cluster {

namespace {

constexpr size_t kMaxValue = 1 << 20;  // Host::clusterPut's limit (etcd's default is 1.5 MiB)

ClusterState fromConnection(ConnectionState s) {
    switch (s) {
        case ConnectionState::Connecting:
            return ClusterState::Connecting;
        case ConnectionState::Connected:
            return ClusterState::Connected;
        case ConnectionState::Disconnected:
            return ClusterState::Disconnected;
    }
    return ClusterState::Disconnected;
}

void checkKey(const std::string& key, bool allowEmpty) {
    if ((!allowEmpty && key.empty()) || key.find("..") != std::string::npos)
        throw std::invalid_argument("bad cluster key '" + key + "'");
}

}  // namespace

ClusterStore::ClusterStore(EventLoop& loop, std::string version)
    : loop_(loop),
      version_(std::move(version)),
      started_(std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count()),
      writer_(std::make_unique<RecordWriter>(loop)) {
    // The nodes seen: every node's core record (this one's included).
    nodesWatch_ = watches_.add("core", "nodes/", [this](const ClusterBatch& b) { onNodes(b); });
}

ClusterStore::~ClusterStore() {
    disconnect();  // the lease is not revoked: see the class comment
}

void ClusterStore::configure(const ClusterSettings& settings) {
    if (settings == settings_ && (client_ || settings.standalone()))
        return;
    disconnect();
    // Carry the plugins' records over to the new key space; this node's record is made anew.
    auto fresh = std::make_unique<RecordWriter>(loop_);
    std::string oldCore = settings_.prefix + "core/";
    for (auto& [key, w] : writer_->wishes()) {
        if (key.rfind(oldCore, 0) == 0 || key.rfind(settings_.prefix, 0) != 0)
            continue;
        fresh->put(settings.prefix + key.substr(settings_.prefix.size()), w.value, w.underLease);
    }
    writer_ = std::move(fresh);
    bool wasClustered = !settings_.standalone();
    settings_ = settings;
    if (settings_.standalone()) {
        if (wasClustered)
            logMessage(LogLevel::Info, {}, "cluster store: standalone (no [Cluster] Backend=)");
        setState(ClusterState::Standalone);
        return;
    }
    connect();
}

void ClusterStore::connect() {
    EtcdClientOptions o;
    o.endpoints = settings_.endpoints;
    o.trustedCaFile = settings_.trustedCaFile;
    o.certFile = settings_.certFile;
    o.keyFile = settings_.keyFile;
    client_ = std::make_unique<EtcdClient>(loop_, o);
    client_->setStateCallback(
        [this](ConnectionState s, const std::string& reason) { onClientState(s, reason); });
    std::string list;
    for (auto& e : settings_.endpoints)
        list += (list.empty() ? "" : " ") + e;
    logMessage(LogLevel::Info, {},
               "cluster store: etcd at " + list + ", prefix " + settings_.prefix + ", node " +
                   settings_.nodeName);
    setState(ClusterState::Connecting);
    writer_->attach(client_.get());
    watches_.attach(client_.get(), settings_.prefix);
    keeper_ = std::make_unique<LeaseKeeper>(*client_, settings_.leaseTtl,
                                            [this](int64_t id) { onLease(id); });
}

void ClusterStore::disconnect() {
    watches_.attach(nullptr, settings_.prefix);
    keeper_.reset();
    writer_->attach(nullptr);
    client_.reset();
    nodes_.clear();
}

void ClusterStore::onClientState(ConnectionState s, const std::string& reason) {
    // The client reports changes only, so each outage is logged once, not per retry.
    if (s == ConnectionState::Connected) {
        logMessage(LogLevel::Info, {}, "cluster store: connected to " + reason);
        writer_->retryNow();
    } else if (s == ConnectionState::Disconnected) {
        logMessage(LogLevel::Warning, {},
                   "cluster store: unreachable (" + reason + "); retrying, keeping what was seen");
    }
    setState(fromConnection(s));
}

void ClusterStore::onLease(int64_t id) {
    logMessage(LogLevel::Info, {},
               "cluster store: lease " + std::to_string(id) + " (" +
                   std::to_string(settings_.leaseTtl.count()) + " s)");
    Json record = Json::object();
    record["node"] = settings_.nodeName;
    record["lease"] = std::to_string(id);
    record["ttl"] = settings_.leaseTtl.count();
    record["version"] = version_;
    record["started"] = started_;
    // Every lease-bound record is written again under the new lease, this node's with it.
    writer_->setLease(0);
    writer_->put(coreKey(), jsonText(record), true);
    writer_->setLease(id);
}

void ClusterStore::onNodes(const ClusterBatch& batch) {
    for (auto& event : batch.events) {
        ClusterEvent e = event;
        e.key = e.key.substr(e.key.find('/') + 1);  // "nodes/NAME" -> "NAME"
        if (e.type == ClusterEvent::Type::Delete) {
            nodes_.erase(e.key);
            continue;
        }
        try {
            auto j = Json::parse(e.value);
            if (!j.is_object())
                throw std::runtime_error("not a JSON object");
            nodes_[e.key] = std::move(j);
        } catch (const std::exception& ex) {
            logMessage(LogLevel::Warning, {},
                       "cluster store: ignoring node record " + settings_.prefix + "core/nodes/" +
                           e.key + ": " + ex.what());
            nodes_.erase(e.key);
        }
    }
}

void ClusterStore::setState(ClusterState s) {
    if (s == state_)
        return;
    state_ = s;
    auto copy = stateCallbacks_;  // a callback may remove itself
    for (auto& [id, fn] : copy) {
        if (!stateCallbacks_.count(id))
            continue;
        try {
            fn(s);
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, {},
                       std::string("cluster state callback failed: ") + e.what());
        }
    }
}

ClusterStore::Id ClusterStore::onStateChanged(std::function<void(ClusterState)> fn) {
    stateCallbacks_[++lastCallback_] = std::move(fn);
    return lastCallback_;
}

void ClusterStore::removeStateCallback(Id id) {
    stateCallbacks_.erase(id);
}

std::string ClusterStore::coreKey() const {
    return settings_.prefix + "core/nodes/" + settings_.nodeName;
}

std::string ClusterStore::fullKey(const std::string& plugin, const std::string& key) const {
    return settings_.prefix + plugin + "/" + key;
}

void ClusterStore::put(const std::string& plugin, const std::string& key, const std::string& value,
                       RecordLifetime lifetime) {
    checkKey(key, false);
    if (value.size() > kMaxValue)
        throw std::invalid_argument("cluster value for '" + key + "' is over 1 MiB");
    writer_->put(fullKey(plugin, key), value, lifetime == RecordLifetime::Node);
}

void ClusterStore::remove(const std::string& plugin, const std::string& key) {
    writer_->remove(fullKey(plugin, key));
}

ClusterStore::Id ClusterStore::watch(const std::string& plugin, const std::string& prefix,
                                     std::function<void(const ClusterBatch&)> fn) {
    checkKey(prefix, true);
    return watches_.add(plugin, prefix, std::move(fn));
}

void ClusterStore::unwatch(Id id) {
    if (id != nodesWatch_)
        watches_.remove(id);
}

Json ClusterStore::describe() const {
    Json j = Json::object();
    j["backend"] = settings_.standalone() ? "" : settings_.backend;
    j["state"] = clusterStateName(state_);
    j["reason"] = client_ ? client_->stateReason() : "";
    j["prefix"] = settings_.prefix;
    j["node"] = settings_.nodeName;
    Json endpoints = Json::array();
    for (size_t i = 0; i < settings_.endpoints.size(); ++i) {
        endpoints.push_back({{"url", settings_.endpoints[i]},
                             {"preferred", client_ && client_->preferredEndpoint() == i}});
    }
    j["endpoints"] = endpoints;
    int64_t lease = leaseId();
    j["lease"] = {{"id", std::to_string(lease)},
                  {"ttl", settings_.standalone() ? 0 : settings_.leaseTtl.count()}};
    j["records"] = {{"wanted", writer_->wanted()}, {"pending", writer_->pending()}};
    Json nodes = Json::array();
    for (const auto& node : nodes_) {
        // Not a structured binding: clang 14 cannot capture one in the lambda below.
        const std::string& name = node.first;
        const Json& rec = node.second;
        // Another node's record: take only fields of the expected type.
        auto str = [&](const char* k) {
            return rec.contains(k) && rec[k].is_string() ? rec[k].get<std::string>() : "";
        };
        int64_t started = rec.contains("started") && rec["started"].is_number_integer()
                              ? rec["started"].get<int64_t>()
                              : 0;
        nodes.push_back({{"node", name},
                         {"version", str("version")},
                         {"started", started},
                         {"lease", str("lease")}});
    }
    j["nodes"] = nodes;
    return j;
}

}  // namespace weft::cluster
