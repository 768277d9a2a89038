// weave-policy: Kubernetes NetworkPolicy on nftables (docs/plugins/weave-policy.md).
//
// Objects come from manifests in weave-policy.d/ (config, reloaded with the config) and from
// D-Bus (runtime, kept in /run/weft/weave-policy/objects.json across restarts); a runtime
// object overrides a file's object of the same kind, namespace and name. Every change is
// compiled into the one table (policy_compiler.hpp); after the kernel has it, live flows the
// new policy denies are cut from conntrack. With [Cluster] in weftd.conf, the local objects are
// also written to the cluster store, and every node's objects there are in force here too
// (cluster_sync.hpp; a local object wins on the same key).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster_sync.hpp"
#include "drop_log.hpp"
#include "object_set.hpp"
#include "policy_compiler.hpp"
#include "weave_settings.hpp"
#include "weft/plugin.hpp"

namespace weft::weave {

class WeavePlugin final : public Plugin {
  public:
    PluginInfo info() const override;
    Schema schema() const override;
    void validate(const Config& config) const override;
    Lease lease(const Config& config) const override;
    void configure(const Config& config) override;
    void start(Host& host) override;
    DesiredState desiredState() override;
    std::string describe() const override;
    void stop() override;

    // The D-Bus calls, callable directly by tests. Each throws BusError on bad input and
    // then changes nothing.
    std::vector<Change> applyManifest(const std::string& text);
    Change deleteObject(const std::string& kind, const std::string& ns, const std::string& name);
    std::vector<std::map<std::string, std::string>> listObjects() const;
    std::map<std::string, std::string> explainConnection(const std::string& source,
                                                         const std::string& destination,
                                                         uint32_t port,
                                                         const std::string& protocol) const;
    const ObjectSet& objects() const { return objects_; }
    /// Cuts the live flows the objects in force deny; returns how many.
    uint64_t cutDeniedFlows();

  private:
    void registerBus();
    void registerLog();
    void mergeAll();
    void refresh();                      ///< mergeAll, then hands the compiler what changed
    const Evaluator& evaluator() const;  ///< of the objects in force, built on demand
    void changed(const std::vector<ObjectKey>& keys, bool policies);
    void tick();
    void loadRuntime();
    void saveRuntime() const;
    std::string sourceOf(const ObjectKey& key) const;
    // The cluster store (weave_cluster.cpp).
    bool clustered() const;
    void loadClusterCache();
    void watchCluster();
    void stopCluster();
    void clusterBatch(const ClusterBatch& batch);
    ClusterObjects::Warn warner() const;
    Address resolveEndpoint(const std::string& text, const char* argument,
                            std::optional<Family> family) const;

    Host* host_ = nullptr;
    Settings settings_;
    ObjectSet runtime_;  ///< applied over D-Bus
    ObjectSet objects_;  ///< in force: files, then runtime, then the cluster store's
    std::map<ObjectKey, std::string> fileOf_;  ///< objects from files -> file
    PolicyCompiler compiler_;
    mutable std::unique_ptr<Evaluator> evaluator_;  ///< reset on every change
    DropLog drops_;
    Host::TimerId tickTimer_ = 0;
    Host::LogSubscription logSubscription_ = 0;
    bool subscribed_ = false;
    uint16_t subscribedGroup_ = 0;
    bool cutPending_ = false;
    uint64_t generation_ = 0, cutAfter_ = 0;
    uint64_t changedAt_ = 0;              ///< generation_ when objects last changed
    std::vector<std::string> conflicts_;  ///< objects left out (an address taken twice)
    ClusterObjects cluster_;
    Host::ClusterWatchId clusterWatch_ = 0;
    bool watching_ = false;
};

}  // namespace weft::weave
