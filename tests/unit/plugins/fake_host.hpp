// A Host for plugin unit tests: records what the plugin asks of the core and
// lets the test drive timers, links, published sets and bus calls by hand.
#pragma once

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/plugin.hpp"

namespace weft::test {

class FakeBus : public BusObject {
  public:
    struct Method {
        std::vector<BusArg> in, out;
        Handler handler;
        bool changesState = false;
    };
    void addMethod(const std::string& name, std::vector<BusArg> in, std::vector<BusArg> out,
                   Handler handler, bool changesState) override {
        methods[name] = Method{std::move(in), std::move(out), std::move(handler), changesState};
    }
    void addProperty(const std::string& name, const std::string& signature,
                     std::function<BusValue()> getter) override {
        properties[name] = {signature, std::move(getter)};
    }
    void addSignal(const std::string& name, std::vector<BusArg> args) override {
        signals[name] = std::move(args);
    }
    void emitSignal(const std::string& name, const std::vector<BusValue>& args) override {
        emitted.emplace_back(name, args);
    }
    void emitPropertiesChanged(const std::vector<std::string>& names) override {
        changed.insert(changed.end(), names.begin(), names.end());
    }

    /// Calls a registered method as the bus would; BusError propagates.
    std::vector<BusValue> call(const std::string& name, const std::vector<BusValue>& args) {
        return methods.at(name).handler(args);
    }
    BusValue get(const std::string& name) { return properties.at(name).second(); }

    std::map<std::string, Method> methods;
    std::map<std::string, std::pair<std::string, std::function<BusValue()>>> properties;
    std::map<std::string, std::vector<BusArg>> signals;
    std::vector<std::pair<std::string, std::vector<BusValue>>> emitted;
    std::vector<std::string> changed;
};

class FakeHost : public Host {
  public:
    explicit FakeHost(std::string name, std::filesystem::path dir)
        : name_(std::move(name)), dir_(std::move(dir)) {}

    void log(LogLevel, const std::string& message) override { logs.push_back(message); }
    const std::string& pluginName() const override { return name_; }
    std::filesystem::path stateDirectory() override { return ensure(dir_ / "state"); }
    std::filesystem::path runtimeDirectory() override { return ensure(dir_ / "run"); }
    void requestReconcile() override { ++reconcileRequests; }
    TimerId addTimer(std::chrono::milliseconds interval, std::function<void()> fn) override {
        timers[++lastTimer] = {interval, std::move(fn)};
        return lastTimer;
    }
    void cancelTimer(TimerId id) override { timers.erase(id); }
    std::vector<LinkInfo> links() const override { return linkList; }
    void onLinksChanged(std::function<void()> fn) override {
        linkCallbacks.push_back(std::move(fn));
    }
    std::optional<std::vector<WireguardPeerStatus>> wireguardStatus(
        const std::string& ifname) override {
        auto it = wgStatus.find(ifname);
        if (it == wgStatus.end())
            return std::nullopt;
        return it->second;
    }
    bool restartWireguardSession(const std::string& ifname, const std::string& key) override {
        auto it = wgStatus.find(ifname);
        if (it == wgStatus.end())
            return false;
        for (auto& p : it->second) {
            if (p.publicKey == key) {
                sessionRestarts.push_back(key);
                p.lastHandshake = 0;  // as the back end: a new peer has never handshaken
                return true;
            }
        }
        return false;
    }
    void publishSet(const std::string& name, const PrefixSet& set) override {
        sets[name_ + "/" + name] = set;
    }
    std::optional<PrefixSet> resolveSet(const std::string& fullName) const override {
        auto it = sets.find(fullName);
        if (it == sets.end())
            return std::nullopt;
        return it->second;
    }
    BusObject& bus() override { return busObject; }
    std::map<std::string, nft::CounterValue> counters(nft::TableFamily,
                                                      const std::string& table) override {
        return namedCounters[table];
    }
    /// Records the filter; returns `flowsToDelete`.
    uint64_t deleteFlows(const FlowFilter& filter) override {
        deletedFlows.push_back(filter);
        return flowsToDelete;
    }
    /// Flows deleteFlowsIf offers the plugin; those it dooms are removed and recorded.
    std::vector<FlowTuple> flows;
    std::vector<FlowTuple> cutFlows;
    uint64_t deleteFlowsIf(const FlowFilter&,
                           const std::function<bool(const FlowTuple&)>& doomed) override {
        uint64_t n = 0;
        std::erase_if(flows, [&](const FlowTuple& f) {
            if (!doomed(f))
                return false;
            cutFlows.push_back(f);
            ++n;
            return true;
        });
        return n;
    }
    std::map<uint32_t, uint64_t> countFlowsByMark(uint32_t, std::optional<Family>) override {
        return flowCounts;
    }
    /// Records the probe; a test answers it with finishProbe().
    ProbeId probe(const ProbeRequest& request,
                  std::function<void(const ProbeResult&)> done) override {
        probes[++lastProbe] = {request, std::move(done)};
        return lastProbe;
    }
    void cancelProbe(ProbeId id) override { probes.erase(id); }
    void finishProbe(ProbeId id, const ProbeResult& r) {
        auto fn = std::move(probes.at(id).second);
        probes.erase(id);
        fn(r);
    }
    LogSubscription subscribeLog(uint16_t group,
                                 std::function<void(const LoggedPacket&)> fn) override {
        logSubscriptions[++lastLog] = {group, std::move(fn)};
        return lastLog;
    }
    void unsubscribeLog(LogSubscription id) override { logSubscriptions.erase(id); }
    /// Delivers `p` to the subscribers of its group.
    void deliverLogged(const LoggedPacket& p) {
        for (auto& [id, s] : logSubscriptions)
            if (s.first == p.group)
                s.second(p);
    }

    // The cluster store: an in-memory key space the test reads and drives.
    ClusterState clusterState() const override { return storeState; }
    const std::string& clusterNodeName() const override { return nodeName; }
    void onClusterStateChanged(std::function<void(ClusterState)> fn) override {
        stateCallbacks.push_back(std::move(fn));
    }
    void clusterPut(const std::string& key, const std::string& value,
                    RecordLifetime lifetime) override {
        if (key.empty() || key.find("..") != std::string::npos)
            throw std::invalid_argument("bad cluster key '" + key + "'");
        records[key] = {value, lifetime};
    }
    void clusterDelete(const std::string& key) override { records.erase(key); }
    ClusterWatchId clusterWatch(const std::string& prefix,
                                std::function<void(const ClusterBatch&)> fn) override {
        watches[++lastWatch] = {prefix, std::move(fn)};
        return lastWatch;
    }
    void clusterUnwatch(ClusterWatchId id) override { watches.erase(id); }
    /// Delivers `batch` to every watch whose prefix covers its first key (or to all when the
    /// batch is empty).
    void deliverCluster(const ClusterBatch& batch) {
        auto copy = watches;
        for (auto& [id, w] : copy)
            if (batch.events.empty() || batch.events.front().key.starts_with(w.first))
                w.second(batch);
    }
    void setClusterState(ClusterState s) {
        storeState = s;
        for (auto& fn : stateCallbacks)
            fn(s);
    }

    /// Fires every timer once, as if its interval had elapsed.
    void fireTimers() {
        auto copy = timers;
        for (auto& [id, t] : copy)
            t.second();
    }
    /// Replaces the link view and runs the change callbacks.
    void setLinks(std::vector<LinkInfo> l) {
        linkList = std::move(l);
        for (auto& fn : linkCallbacks)
            fn();
    }

    std::vector<std::string> logs;
    unsigned reconcileRequests = 0;
    ClusterState storeState = ClusterState::Standalone;
    std::string nodeName = "node-a";
    std::vector<std::function<void(ClusterState)>> stateCallbacks;
    std::map<std::string, std::pair<std::string, RecordLifetime>> records;  ///< key -> value
    std::map<ClusterWatchId, std::pair<std::string, std::function<void(const ClusterBatch&)>>>
        watches;
    ClusterWatchId lastWatch = 0;
    std::map<TimerId, std::pair<std::chrono::milliseconds, std::function<void()>>> timers;
    TimerId lastTimer = 0;
    std::vector<LinkInfo> linkList;
    std::vector<std::function<void()>> linkCallbacks;
    std::map<std::string, std::vector<WireguardPeerStatus>> wgStatus;
    std::vector<std::string> sessionRestarts;  ///< keys restartWireguardSession() was asked for
    std::map<std::string, PrefixSet> sets;     ///< full name -> set (also settable by tests)
    FakeBus busObject;
    std::map<std::string, std::map<std::string, nft::CounterValue>> namedCounters;  ///< by table
    std::vector<FlowFilter> deletedFlows;
    uint64_t flowsToDelete = 0;
    std::map<uint32_t, uint64_t> flowCounts;
    std::map<ProbeId, std::pair<ProbeRequest, std::function<void(const ProbeResult&)>>> probes;
    ProbeId lastProbe = 0;
    std::map<LogSubscription, std::pair<uint16_t, std::function<void(const LoggedPacket&)>>>
        logSubscriptions;
    LogSubscription lastLog = 0;

  private:
    static std::filesystem::path ensure(const std::filesystem::path& p) {
        std::filesystem::create_directories(p);
        return p;
    }
    std::string name_;
    std::filesystem::path dir_;
};

/// The messages (file:line: ...) of every error `plugin.validate(config)` reports; none if valid.
inline std::vector<std::string> validationErrors(const Plugin& plugin, const Config& config) {
    try {
        plugin.validate(config);
    } catch (const ConfigException& e) {
        std::vector<std::string> out;
        for (auto& err : e.errors())
            out.push_back(err.str());
        return out;
    }
    return {};
}

}  // namespace weft::test
