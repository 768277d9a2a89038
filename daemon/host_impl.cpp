#include "host_impl.hpp"

#include <sys/stat.h>

#include "cluster/cluster_store.hpp"
#include "kernel/conntrack/conntrack_table.hpp"
#include "kernel/nflog/nflog_receiver.hpp"
#include "log.hpp"
#include "probe/prober.hpp"

namespace weft {

HostImpl::HostImpl(std::string plugin, HostServices& services, BusObject& bus)
    : plugin_(std::move(plugin)), services_(services), bus_(bus) {}

HostImpl::~HostImpl() {
    release();
}

void HostImpl::release() {
    for (auto id : timers_)
        services_.loop().cancel(id);
    timers_.clear();
    linkCallbacks_.clear();
    for (auto id : probes_)
        services_.prober().cancel(id);
    probes_.clear();
    for (auto id : logs_)
        services_.nflog().unsubscribe(id);
    logs_.clear();
    for (auto id : clusterStateCallbacks_)
        services_.cluster().removeStateCallback(id);
    clusterStateCallbacks_.clear();
    for (auto id : clusterWatches_)
        services_.cluster().unwatch(id);
    clusterWatches_.clear();
}

void HostImpl::log(LogLevel level, const std::string& message) {
    logMessage(level, plugin_, message);
}

static std::filesystem::path ensureDir(const std::filesystem::path& p, mode_t mode) {
    std::filesystem::create_directories(p);
    chmod(p.c_str(), mode);
    return p;
}

std::filesystem::path HostImpl::stateDirectory() {
    ensureDir(services_.stateRoot(), 0700);
    return ensureDir(services_.stateRoot() / plugin_, 0700);
}

std::filesystem::path HostImpl::runtimeDirectory() {
    return ensureDir(services_.runtimeRoot() / plugin_, 0700);
}

Host::TimerId HostImpl::addTimer(std::chrono::milliseconds interval, std::function<void()> fn) {
    std::string who = plugin_;
    auto id = services_.loop().addTimer(interval, true, [who, fn = std::move(fn)] {
        try {
            fn();
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, who, std::string("timer failed: ") + e.what());
        }
    });
    timers_.insert(id);
    return id;
}

void HostImpl::cancelTimer(TimerId id) {
    if (timers_.erase(id))
        services_.loop().cancel(id);
}

void HostImpl::publishSet(const std::string& name, const PrefixSet& set) {
    if (services_.publishSet(plugin_ + "/" + name, set))
        services_.requestReconcile();
}

uint64_t HostImpl::deleteFlows(const FlowFilter& filter) {
    return services_.conntrack().deleteFlows(filter);
}

uint64_t HostImpl::deleteFlowsIf(const FlowFilter& filter,
                                 const std::function<bool(const FlowTuple&)>& doomed) {
    return services_.conntrack().deleteFlowsIf(filter, doomed);
}

std::map<uint32_t, uint64_t> HostImpl::countFlowsByMark(uint32_t mask,
                                                        std::optional<Family> family) {
    return services_.conntrack().countByMark(mask, family);
}

Host::ProbeId HostImpl::probe(const ProbeRequest& request,
                              std::function<void(const ProbeResult&)> done) {
    // The id is known only after start(); start() never calls back synchronously.
    auto id = std::make_shared<ProbeId>(0);
    std::string who = plugin_;
    *id = services_.prober().start(
        request, [this, id, who, done = std::move(done)](const ProbeResult& r) {
            probes_.erase(*id);
            try {
                done(r);
            } catch (const std::exception& e) {
                logMessage(LogLevel::Error, who, std::string("probe callback failed: ") + e.what());
            }
        });
    probes_.insert(*id);
    return *id;
}

void HostImpl::cancelProbe(ProbeId id) {
    if (probes_.erase(id))
        services_.prober().cancel(id);
}

Host::LogSubscription HostImpl::subscribeLog(uint16_t group,
                                             std::function<void(const LoggedPacket&)> fn) {
    std::string who = plugin_;
    auto id = services_.nflog().subscribe(group, [who, fn = std::move(fn)](const LoggedPacket& p) {
        try {
            fn(p);
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, who, std::string("log callback failed: ") + e.what());
        }
    });
    logs_.insert(id);
    return id;
}

void HostImpl::unsubscribeLog(LogSubscription id) {
    if (logs_.erase(id))
        services_.nflog().unsubscribe(id);
}

ClusterState HostImpl::clusterState() const {
    return services_.cluster().state();
}

const std::string& HostImpl::clusterNodeName() const {
    return services_.cluster().nodeName();
}

void HostImpl::onClusterStateChanged(std::function<void(ClusterState)> fn) {
    std::string who = plugin_;
    clusterStateCallbacks_.insert(
        services_.cluster().onStateChanged([who, fn = std::move(fn)](ClusterState s) {
            try {
                fn(s);
            } catch (const std::exception& e) {
                logMessage(LogLevel::Error, who,
                           std::string("cluster state callback failed: ") + e.what());
            }
        }));
}

void HostImpl::clusterPut(const std::string& key, const std::string& value,
                          RecordLifetime lifetime) {
    services_.cluster().put(plugin_, key, value, lifetime);
}

void HostImpl::clusterDelete(const std::string& key) {
    services_.cluster().remove(plugin_, key);
}

Host::ClusterWatchId HostImpl::clusterWatch(const std::string& prefix,
                                            std::function<void(const ClusterBatch&)> fn) {
    // The store catches and logs what the callback throws, under the plugin's name.
    auto id = services_.cluster().watch(plugin_, prefix, std::move(fn));
    clusterWatches_.insert(id);
    return id;
}

void HostImpl::clusterUnwatch(ClusterWatchId id) {
    if (clusterWatches_.erase(id))
        services_.cluster().unwatch(id);
}

void HostImpl::notifyLinksChanged() {
    for (auto& fn : linkCallbacks_) {
        try {
            fn();
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, plugin_, std::string("link callback failed: ") + e.what());
        }
    }
}

}  // namespace weft
