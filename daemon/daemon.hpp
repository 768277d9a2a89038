// weftd: loads plugins, keeps their configs, reconciles their desired state with the kernel,
// repairs drift and serves the Manager API. Everything runs on one sd-event loop.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bus/bus_connection.hpp"
#include "bus/manager_object.hpp"
#include "cluster/cluster_store.hpp"
#include "config/config_loader.hpp"
#include "daemon_config.hpp"
#include "event_loop.hpp"
#include "host_impl.hpp"
#include "kernel/conntrack/conntrack_table.hpp"
#include "kernel/nflog/nflog_receiver.hpp"
#include "kernel/nft/nft_engine.hpp"
#include "kernel/nft/nft_monitor.hpp"
#include "kernel/rtnl/rtnl_monitor.hpp"
#include "plugin_loader.hpp"
#include "plugin_slot.hpp"
#include "probe/prober.hpp"
#include "reconciler.hpp"

namespace weft {

/// What an error says, made fit for LastError, a log entry and a D-Bus reply: the errors of
/// a ConfigException capped (see config::limitErrors), any text valid UTF-8 and bounded.
std::string errorReport(const std::exception& e);

struct DaemonOptions {
    std::filesystem::path root;                          ///< --root: prefixes config search path
    std::vector<std::filesystem::path> extraPluginDirs;  ///< --plugin-dir
    std::filesystem::path builtinPluginDir;
    std::filesystem::path stateRoot = "/var/lib/weft";
    std::filesystem::path runtimeRoot = "/run/weft";
};

class Daemon final : public ManagerApi, public HostServices {
  public:
    explicit Daemon(DaemonOptions options);
    ~Daemon() override;
    /// Starts everything, runs the loop until SIGTERM/SIGINT; returns the exit code.
    int run();

    // ManagerApi
    void reload() override;
    void flush() override;
    std::vector<PluginEntry> listPlugins() override;
    std::string describe() override;
    std::string state() override { return state_; }
    std::string describeCluster() override { return jsonText(cluster_.describe()); }
    std::string clusterState() override { return clusterStateName(cluster_.state()); }

    // HostServices
    EventLoop& loop() override { return loop_; }
    void requestReconcile() override;
    const std::vector<LinkInfo>& links() const override { return links_; }
    std::optional<std::vector<WireguardPeerStatus>> wireguardStatus(const std::string&) override;
    bool restartWireguardSession(const std::string& ifname, const std::string& key) override;
    bool publishSet(const std::string& fullName, const PrefixSet& set) override;
    std::optional<PrefixSet> resolveSet(const std::string& fullName) const override;
    std::filesystem::path stateRoot() const override { return options_.stateRoot; }
    std::filesystem::path runtimeRoot() const override { return options_.runtimeRoot; }
    std::map<std::string, nft::CounterValue> nftCounters(const std::string& plugin,
                                                         nft::TableFamily family,
                                                         const std::string& table) override {
        return engines_.nft->namedCounters(plugin, family, table);
    }
    kernel::ConntrackTable& conntrack() override { return conntrack_; }
    Prober& prober() override { return prober_; }
    kernel::NflogReceiver& nflog() override { return nflog_; }
    cluster::ClusterStore& cluster() override { return cluster_; }

  private:
    // daemon.cpp: life cycle, monitors, reconcile scheduling
    void startKernel();
    void startBus();
    void watchKernel();
    void reconcileNow();
    void reconcileOne(PluginSlot& slot);
    void refreshLinks();
    void setState(const std::string& s);
    void armResync();
    void applyDaemonSettings(const DaemonSettings& before);
    void stop();
    // daemon_plugins.cpp: loading, configuring, reloading
    config::SearchPath searchPath() const;
    DaemonSettings readSettings() const;
    void loadPlugins();
    std::unique_ptr<PluginSlot> makeSlot(const std::string& name, const Location& where,
                                         ConfigError* failure = nullptr);
    void makeObject(PluginSlot& slot);
    void configureSlot(PluginSlot& slot);
    void startSlot(PluginSlot& slot);
    void checkLeaseConflicts();
    void sweepOrphans();
    std::vector<ConfigError> stageReload(const DaemonSettings& next,
                                         std::map<std::string, std::unique_ptr<PluginSlot>>& fresh,
                                         std::map<std::string, Config>& configs);
    // daemon_describe.cpp
    Json describeSlot(PluginSlot& slot);

    DaemonOptions options_;
    DaemonSettings settings_;
    EventLoop loop_;
    KernelEngines engines_;
    kernel::ConntrackTable conntrack_;
    Prober prober_{loop_};
    kernel::NflogReceiver nflog_{loop_};
    cluster::ClusterStore cluster_;
    std::unique_ptr<Reconciler> reconciler_;
    std::unique_ptr<kernel::NftMonitor> nftMonitor_;
    std::unique_ptr<kernel::RtnlMonitor> rtnlMonitor_;
    std::unique_ptr<BusConnection> bus_;
    std::unique_ptr<ManagerObject> manager_;
    std::vector<std::unique_ptr<PluginSlot>> slots_;  ///< in config order
    std::map<std::string, PrefixSet> sets_;
    std::vector<LinkInfo> links_;
    std::string state_ = "starting";
    bool reconcileScheduled_ = false;
    std::chrono::steady_clock::time_point lastReconcile_{};
    bool flushed_ = false;
    EventLoop::Id resyncTimer_ = 0;
};

}  // namespace weft
