// The one place where desired state meets the kernel engines.
//
// For each plugin it applies sysctls, WireGuard links, link settings, the nftables
// transaction, routes and rules, in that order (removals in reverse), and keeps a record
// of what each plugin owns in /run/weft/applied.json so a plugin dropped from the
// config — even across a daemon restart — has its objects removed.
#pragma once

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
    /// Kernel-side facts for Describe: nft rule counters of the plugin.
    Json kernelFacts(const std::string& plugin);

  private:
    struct Record {
        std::vector<std::pair<uint32_t, uint32_t>> tables;
        std::optional<std::pair<uint32_t, uint32_t>> priorities;
        std::vector<std::string> links;
    };
    void applyLinks(const std::string& plugin, const DesiredState& state, const Record& old,
                    std::vector<std::string>& errors, unsigned& changes);
    void applyRouting(const Lease& lease, const DesiredState& state, const Record& old,
                      std::vector<std::string>& errors, unsigned& changes);
    void load();
    void save() const;

    KernelEngines& k_;
    std::filesystem::path recordFile_;
    std::map<std::string, Record> records_;
};

}  // namespace weft
