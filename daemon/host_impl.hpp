// The Host a plugin sees: a narrow handle onto the daemon's services.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "weft/plugin.hpp"

namespace weft {

class Prober;
namespace cluster {
class ClusterStore;
}
namespace kernel {
class ConntrackTable;
class NflogReceiver;
}  // namespace kernel

/// What HostImpl needs from the daemon (kept abstract so the daemon's internals stay private).
class HostServices {
  public:
    virtual ~HostServices() = default;
    virtual EventLoop& loop() = 0;
    virtual void requestReconcile() = 0;
    virtual const std::vector<LinkInfo>& links() const = 0;
    virtual std::optional<std::vector<WireguardPeerStatus>> wireguardStatus(const std::string&) = 0;
    virtual bool restartWireguardSession(const std::string& ifname, const std::string& key) = 0;
    /// Stores a published set; returns true if it changed.
    virtual bool publishSet(const std::string& fullName, const PrefixSet& set) = 0;
    virtual std::optional<PrefixSet> resolveSet(const std::string& fullName) const = 0;
    virtual std::filesystem::path stateRoot() const = 0;    ///< /var/lib/weft
    virtual std::filesystem::path runtimeRoot() const = 0;  ///< /run/weft
    /// Named counters of `plugin`'s nftables table (empty if it owns no such table).
    virtual std::map<std::string, nft::CounterValue> nftCounters(const std::string& plugin,
                                                                 nft::TableFamily family,
                                                                 const std::string& table) = 0;
    virtual kernel::ConntrackTable& conntrack() = 0;
    virtual Prober& prober() = 0;
    virtual kernel::NflogReceiver& nflog() = 0;
    /// The cluster store; Standalone when weftd.conf has no [Cluster] Backend=.
    virtual cluster::ClusterStore& cluster() = 0;
};

class HostImpl final : public Host {
  public:
    HostImpl(std::string plugin, HostServices& services, BusObject& bus);
    ~HostImpl() override;  ///< cancels the plugin's timers and drops its callbacks

    void log(LogLevel level, const std::string& message) override;
    const std::string& pluginName() const override { return plugin_; }
    std::filesystem::path stateDirectory() override;
    std::filesystem::path runtimeDirectory() override;
    void requestReconcile() override { services_.requestReconcile(); }
    TimerId addTimer(std::chrono::milliseconds interval, std::function<void()> fn) override;
    void cancelTimer(TimerId id) override;
    std::vector<LinkInfo> links() const override { return services_.links(); }
    void onLinksChanged(std::function<void()> fn) override {
        linkCallbacks_.push_back(std::move(fn));
    }
    std::optional<std::vector<WireguardPeerStatus>> wireguardStatus(
        const std::string& ifname) override {
        return services_.wireguardStatus(ifname);
    }
    bool restartWireguardSession(const std::string& ifname, const std::string& key) override {
        return services_.restartWireguardSession(ifname, key);
    }
    void publishSet(const std::string& name, const PrefixSet& set) override;
    std::optional<PrefixSet> resolveSet(const std::string& fullName) const override {
        return services_.resolveSet(fullName);
    }
    BusObject& bus() override { return bus_; }
    std::map<std::string, nft::CounterValue> counters(nft::TableFamily family,
                                                      const std::string& table) override {
        return services_.nftCounters(plugin_, family, table);
    }
    uint64_t deleteFlows(const FlowFilter& filter) override;
    uint64_t deleteFlowsIf(const FlowFilter& filter,
                           const std::function<bool(const FlowTuple&)>& doomed) override;
    std::map<uint32_t, uint64_t> countFlowsByMark(uint32_t mask,
                                                  std::optional<Family> family) override;
    ProbeId probe(const ProbeRequest& request,
                  std::function<void(const ProbeResult&)> done) override;
    void cancelProbe(ProbeId id) override;
    LogSubscription subscribeLog(uint16_t group,
                                 std::function<void(const LoggedPacket&)> fn) override;
    void unsubscribeLog(LogSubscription id) override;
    ClusterState clusterState() const override;
    const std::string& clusterNodeName() const override;
    void onClusterStateChanged(std::function<void(ClusterState)> fn) override;
    void clusterPut(const std::string& key, const std::string& value,
                    RecordLifetime lifetime) override;
    void clusterDelete(const std::string& key) override;
    ClusterWatchId clusterWatch(const std::string& prefix,
                                std::function<void(const ClusterBatch&)> fn) override;
    void clusterUnwatch(ClusterWatchId id) override;

    /// Runs the plugin's link callbacks (called by the daemon after netlink link events).
    void notifyLinksChanged();
    /// Drops every callback that came from the plugin (before its library is unloaded). Its
    /// cluster records stay: node records expire with the lease if weftd does not come back.
    void release();

  private:
    std::string plugin_;
    HostServices& services_;
    BusObject& bus_;
    std::set<EventLoop::Id> timers_;
    std::vector<std::function<void()>> linkCallbacks_;
    std::set<ProbeId> probes_;                  ///< in flight, cancelled on release()
    std::set<LogSubscription> logs_;            ///< dropped on release()
    std::set<uint64_t> clusterStateCallbacks_;  ///< dropped on release()
    std::set<ClusterWatchId> clusterWatches_;   ///< dropped on release()
};

}  // namespace weft
