// The one place where desired state meets the kernel engines.
//
// For each plugin it applies sysctls, WireGuard links, link settings, the nftables
// transaction, routes and rules, in that order (removals in reverse), and keeps a record
// of what each plugin owns in /run/weft/applied.json so a plugin dropped from the
// config — even across a daemon restart — has its objects removed.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/nft/nft_engine.hpp"
#include "kernel/rtnl/link_engine.hpp"
#include "kernel/rtnl/route_engine.hpp"
#include "kernel/wireguard/wireguard_engine.hpp"
#include "weft/json.hpp"
#include "weft/plugin.hpp"

namespace weft {

/// The kernel engines, owned together.
struct KernelEngines {
    std::unique_ptr<kernel::NftEngine> nft;
    std::unique_ptr<kernel::RouteEngine> routes;
    std::unique_ptr<kernel::LinkEngine> links;
    std::unique_ptr<kernel::WireguardEngine> wireguard;
};

class Reconciler {
  public:
    Reconciler(KernelEngines& engines, std::filesystem::path recordFile);

    /// Converges one plugin's share of the kernel. Returns every error (empty: all applied)
    /// and counts the objects changed in `changes`.
    std::vector<std::string> apply(const std::string& plugin, const Lease& lease,
                                   const DesiredState& state, unsigned& changes);
    /// Removes everything the record says `plugin` owns.
    std::vector<std::string> remove(const std::string& plugin);
    /// Removes everything weft owns, i.e. what the record holds for every plugin; nothing
    /// outside the recorded leases, whatever protocol or comment it carries.
    std::vector<std::string> flushAll();
    /// Plugins the record knows (applied by this or an earlier weftd).
    std::vector<std::string> recordedPlugins() const;
    /// Drift that the kernel does not announce: the sysctls and WireGuard devices of the states
    /// last applied, read back and compared (a /proc/sys read per sysctl, one device read per
    /// link). Returns one line per difference found, for a caller that polls (about once a
    /// second) and reconciles when it is not empty. A difference that stays although it was
    /// reported (the apply keeps failing) is reported again only after 1 s, 2 s, ... up to 64 s.
    std::vector<std::string> drift();
    /// Kernel-side facts for Describe: nft rule counters of the plugin.
    Json kernelFacts(const std::string& plugin);

  private:
    struct Record {
        std::vector<std::pair<uint32_t, uint32_t>> tables;
        std::vector<std::pair<uint32_t, uint32_t>> priorities;  ///< inclusive ranges
        std::vector<std::string> links;
        /// nftables table names: only these may be deleted, whatever comment others carry.
        std::vector<std::string> nftTables;
    };
    void applyLinks(const std::string& plugin, const DesiredState& state, const Record& old,
                    std::vector<std::string>& errors, unsigned& changes);
    void applyRouting(const Lease& lease, const DesiredState& state, const Record& old,
                      std::vector<std::string>& errors, unsigned& changes);
    void load();
    void save() const;
    // What apply() last asked for that drift() compares (no kernel notifications for these).
    struct Watched {
        std::vector<Sysctl> sysctls;
        std::vector<WireguardLink> wireguard;
    };
    struct Reported {
        std::string what;
        std::chrono::steady_clock::time_point next{};
        std::chrono::seconds backoff{1};
    };
    std::map<std::string, Watched> watched_;    // by plugin
    std::map<std::string, Reported> reported_;  // by plugin: the last drift() line

    KernelEngines& k_;
    std::filesystem::path recordFile_;
    std::map<std::string, Record> records_;
};

}  // namespace weft
