// weft plugin SDK: the plugin contract.
//
// A plugin is a shared library that exports, with WEFT_PLUGIN(Class):
//   * an ABI marker symbol in the ELF section "weft_abi" (weft_abi_v<N>), which
//     the loader reads without loading the library and compares with its own;
//   * a factory "weft_create_plugin" (Boost.DLL alias) returning the Plugin.
// The plugin sees only this SDK. The core owns its lifetime: every object,
// std::function or exception coming from a plugin is released before the
// library is unloaded.
//
// Life cycle, all on weftd's single thread:
//   schema() -> validate(config) -> lease(config) -> configure(config) -> start(host)
//   -> desiredState() at every reconcile ... -> on reload validate/lease/configure again
//   -> stop().
#pragma once

#include <boost/config.hpp>
#include <boost/dll/alias.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "weft/cluster.hpp"
#include "weft/config.hpp"
#include "weft/flows.hpp"
#include "weft/logged_packet.hpp"
#include "weft/prefix.hpp"
#include "weft/probe.hpp"
#include "weft/state.hpp"

/// Bumped whenever a type in include/weft/ changes layout or a virtual call changes.
#define WEFT_PLUGIN_ABI 5

namespace weft {

inline constexpr uint32_t kPluginAbi = WEFT_PLUGIN_ABI;

/// What a plugin may touch. The core refuses a desired state outside it and
/// refuses to run two plugins whose leases overlap (marks: two writers of one bit).
struct Lease {
    std::vector<std::string> nftTables;                        ///< table names (any family)
    std::vector<std::pair<uint32_t, uint32_t>> routingTables;  ///< inclusive id ranges
    /// Inclusive ip rule priority ranges (empty: no rules). Several ranges let a plugin hold
    /// rules both before and after main (32766), e.g. 5100-5199 and 32800-32899; the core
    /// converges each range separately and no two plugins' ranges may overlap.
    std::vector<std::pair<uint32_t, uint32_t>> rulePriorities;
    uint32_t markBits = 0;             ///< fwmark bits this plugin writes
    std::vector<std::string> links;    ///< link names it creates
    std::vector<std::string> sysctls;  ///< sysctl keys it sets (exact)
};

enum class LogLevel { Debug, Info, Notice, Warning, Error };

// ---------------------------------------------------------------- D-Bus
/// Values a plugin can pass over D-Bus. Signatures: b x u t s as a{ss} aa{ss}.
using BusValue = std::variant<bool, int64_t, uint32_t, uint64_t, std::string,
                              std::vector<std::string>, std::map<std::string, std::string>,
                              std::vector<std::map<std::string, std::string>>>;

/// A named argument: {"name", "s"}. The signature must be one of BusValue's.
struct BusArg {
    std::string name;
    std::string signature;
};

/// Thrown by a method handler; becomes the D-Bus error "org.weft.Weft1.Error.<name>".
class BusError : public std::runtime_error {
  public:
    BusError(std::string name, const std::string& message)
        : std::runtime_error(message), name_(std::move(name)) {}
    const std::string& name() const { return name_; }  ///< "InvalidArgument", "NotFound", ...

  private:
    std::string name_;
};

/// The plugin's own interface on its object /org/weft/Weft1/plugin/<name>.
/// Register methods, properties and signals in Plugin::start(); later calls are refused.
class BusObject {
  public:
    using Handler = std::function<std::vector<BusValue>(const std::vector<BusValue>&)>;
    virtual ~BusObject() = default;
    /// `changesState`: only privileged callers (root) may call it.
    virtual void addMethod(const std::string& name, std::vector<BusArg> in, std::vector<BusArg> out,
                           Handler handler, bool changesState) = 0;
    virtual void addProperty(const std::string& name, const std::string& signature,
                             std::function<BusValue()> getter) = 0;
    virtual void addSignal(const std::string& name, std::vector<BusArg> args) = 0;
    virtual void emitSignal(const std::string& name, const std::vector<BusValue>& args) = 0;
    /// Properties are never announced automatically: call this when they change.
    virtual void emitPropertiesChanged(const std::vector<std::string>& names) = 0;
};

// ---------------------------------------------------------------- host
/// The narrow handle the core gives a plugin. Valid from start() until stop() returns.
class Host {
  public:
    using TimerId = uint64_t;
    virtual ~Host() = default;

    /// Structured log line (journald field WEFT_PLUGIN=<name>).
    virtual void log(LogLevel level, const std::string& message) = 0;
    virtual const std::string& pluginName() const = 0;

    /// /var/lib/weft/<plugin>/ (0700), created on demand; kept across reboots.
    virtual std::filesystem::path stateDirectory() = 0;
    /// /run/weft/<plugin>/, created on demand; kept across daemon restarts, not reboots.
    virtual std::filesystem::path runtimeDirectory() = 0;

    /// Ask for a reconcile soon; requests within a few ms are coalesced.
    virtual void requestReconcile() = 0;
    /// A repeating timer; the first call comes after one interval.
    virtual TimerId addTimer(std::chrono::milliseconds interval, std::function<void()> fn) = 0;
    virtual void cancelTimer(TimerId id) = 0;

    /// Read-only view of the kernel's links and their addresses (kept current by netlink).
    virtual std::vector<LinkInfo> links() const = 0;
    /// Called (on the loop) after links or addresses changed.
    virtual void onLinksChanged(std::function<void()> fn) = 0;
    /// Live peer status of a WireGuard link weft manages, nullopt if it does not exist.
    virtual std::optional<std::vector<WireguardPeerStatus>> wireguardStatus(
        const std::string& ifname) = 0;
    /// Throws away the session of one peer of a WireGuard link weft manages: the peer is
    /// removed and added again with the same settings in one operation, so its next packet or
    /// keepalive starts a new handshake. For a peer whose session the other side no longer
    /// holds (it sends, nothing it receives decrypts). False if the link or peer is not there.
    virtual bool restartWireguardSession(const std::string& ifname,
                                         const std::string& publicKey) = 0;

    /// Publishes the named set "<plugin>/<name>"; consumers are reconciled when it changes.
    virtual void publishSet(const std::string& name, const PrefixSet& set) = 0;
    /// A published set by full name ("wireguard-mesh/targets"); nullopt if nobody publishes it.
    virtual std::optional<PrefixSet> resolveSet(const std::string& fullName) const = 0;

    virtual BusObject& bus() = 0;

    /// The named counters (Table::counters) of one of this plugin's nftables tables, as the
    /// kernel holds them now: name -> values. Empty when the table does not exist (yet).
    virtual std::map<std::string, nft::CounterValue> counters(nft::TableFamily family,
                                                              const std::string& table) = 0;

    // Conntrack, in weftd's network namespace. Synchronous: both read the kernel's table once.
    /// Deletes the flows matching `filter` (all of them for an empty filter) and returns how
    /// many were deleted. Cuts flows a policy change now denies, or that a dead gateway carried.
    /// Throws std::runtime_error when the kernel's table cannot be read.
    virtual uint64_t deleteFlows(const FlowFilter& filter) = 0;
    /// Deletes the flows matching `filter` for which `doomed` returns true, reading the table
    /// once: a policy change asks its own model about each flow and cuts those it now denies.
    virtual uint64_t deleteFlowsIf(const FlowFilter& filter,
                                   const std::function<bool(const FlowTuple&)>& doomed) = 0;
    /// Flows grouped by `ct mark & mask`: value -> number of flows (of `family` when set).
    virtual std::map<uint32_t, uint64_t> countFlowsByMark(uint32_t mask,
                                                          std::optional<Family> family) = 0;

    // Health probes, sent by the core; the plugin never touches a socket.
    using ProbeId = uint64_t;
    /// Starts a probe and returns at once; `done` runs later on the loop, exactly once, unless
    /// the probe is cancelled or the plugin stops first. Many probes may be in flight.
    /// A request the core cannot send at all (bad interface, ...) still ends in `done` with
    /// Status::Error, never in an exception.
    virtual ProbeId probe(const ProbeRequest& request,
                          std::function<void(const ProbeResult&)> done) = 0;
    virtual void cancelProbe(ProbeId id) = 0;

    // Logged packets: nftables `log group N` statements deliver here (nflog).
    using LogSubscription = uint64_t;
    /// Calls `fn` on the loop with each packet logged to `group` (0..65535). Packets wait in a
    /// bounded queue; when a subscriber falls behind, the oldest are dropped and counted.
    /// Throws std::runtime_error when the group cannot be bound.
    virtual LogSubscription subscribeLog(uint16_t group,
                                         std::function<void(const LoggedPacket&)> fn) = 0;
    virtual void unsubscribeLog(LogSubscription id) = 0;

    // The cluster store (weft/cluster.hpp). Keys are relative to "<Prefix><plugin>/".
    /// Standalone when weftd.conf has no [Cluster] Backend=; then the calls below do nothing
    /// and a watch never delivers.
    virtual ClusterState clusterState() const = 0;
    /// This node's name in the cluster ([Cluster] NodeName=, default the hostname).
    virtual const std::string& clusterNodeName() const = 0;
    /// Called on the loop whenever clusterState() changes.
    virtual void onClusterStateChanged(std::function<void(ClusterState)> fn) = 0;
    /// Wants `key` = `value` in the store. Returns at once; the core writes it (again after a
    /// reconnect, and under each new lease for RecordLifetime::Node) until clusterDelete.
    /// Writing the same value again is free. Throws std::invalid_argument for an empty key,
    /// one with "..", or a value over 1 MiB.
    virtual void clusterPut(const std::string& key, const std::string& value,
                            RecordLifetime lifetime = RecordLifetime::Node) = 0;
    /// No longer wants `key` in the store: it is deleted (now, or once the store answers).
    virtual void clusterDelete(const std::string& key) = 0;
    using ClusterWatchId = uint64_t;
    /// Watches every key under `prefix` (relative; "" = the whole key space): first an initial
    /// batch, then changes, each key's changes in order and none lost or repeated across
    /// reconnects. Callbacks run on the loop; none after clusterUnwatch or stop.
    virtual ClusterWatchId clusterWatch(const std::string& prefix,
                                        std::function<void(const ClusterBatch&)> fn) = 0;
    virtual void clusterUnwatch(ClusterWatchId id) = 0;
};

struct PluginInfo {
    std::string name;  ///< "wireguard-mesh": config file name and D-Bus object name
    std::string version;
    std::string
        busInterface;  ///< its own interface, e.g. "org.weft.Weft1.WireguardMesh"; may be empty
    std::string description;
};

class Plugin {
  public:
    virtual ~Plugin() = default;
    virtual PluginInfo info() const = 0;
    /// The config schema; the core parses and type-checks against it.
    virtual Schema schema() const = 0;
    /// Semantic checks beyond the schema; throws ConfigException with every error found.
    virtual void validate(const Config& config) const = 0;
    /// What this config makes the plugin own (called after validate succeeded).
    virtual Lease lease(const Config& config) const = 0;
    /// Takes a validated config into use. Must not fail after validate() passed.
    virtual void configure(const Config& config) = 0;
    /// Called once, after the first configure: register timers, bus members, callbacks.
    virtual void start(Host& host) = 0;
    /// The kernel state this plugin wants now. May throw: the plugin is then marked failed.
    virtual DesiredState desiredState() = 0;
    /// Whole plugin state as a JSON object (no secrets).
    virtual std::string describe() const = 0;
    /// Release timers and callbacks; the kernel state stays (no flush on stop).
    virtual void stop() {}
};

}  // namespace weft

#define WEFT_ABI_CAT2(a, b) a##b
#define WEFT_ABI_CAT(a, b) WEFT_ABI_CAT2(a, b)

/// Exports a plugin class: its ABI marker (read before loading) and its factory.
#define WEFT_PLUGIN(ClassName)                                                  \
    extern "C" BOOST_SYMBOL_EXPORT __attribute__((section("weft_abi"), used))   \
    const uint32_t WEFT_ABI_CAT(weft_abi_v, WEFT_PLUGIN_ABI) = WEFT_PLUGIN_ABI; \
    namespace weft_plugin_export {                                              \
    std::unique_ptr<::weft::Plugin> create() {                                  \
        return std::make_unique<ClassName>();                                   \
    }                                                                           \
    }                                                                           \
    BOOST_DLL_ALIAS(weft_plugin_export::create, weft_create_plugin)
