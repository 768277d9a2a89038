// weftd.conf: the core's own settings.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "cluster/cluster_settings.hpp"
#include "weft/config.hpp"

namespace weft {

struct DaemonSettings {
    std::vector<std::string> plugins;                 ///< [Daemon] Plugins=, in order
    std::vector<Location> pluginLocations;            ///< where each of `plugins` was listed
    std::string file = "weftd.conf";                  ///< the main file read, for errors
    std::vector<std::filesystem::path> pluginDirs;    ///< [Daemon] PluginDirectory=
    std::string logLevel;                             ///< [Daemon] LogLevel=, empty = unchanged
    bool flushOnStop = false;                         ///< [Daemon] FlushOnStop=
    bool nftOwnerFlag = true;                         ///< [Daemon] NftablesOwnerFlag=
    std::chrono::milliseconds resyncInterval{60000};  ///< [Daemon] ResyncInterval=
    cluster::ClusterSettings cluster;                 ///< [Cluster]; no Backend= = standalone

    /// Where `plugin` was listed in weftd.conf (its Plugins= line), for errors about it; the
    /// file itself (line 0) if it was not listed.
    Location locationOf(const std::string& plugin) const;
};

/// Bounds of ResyncInterval=: 0 would disable resync, a few ms burn a core, more than a day is
/// no resync at all.
inline constexpr std::chrono::milliseconds kMinResyncInterval{1000};
inline constexpr std::chrono::milliseconds kMaxResyncInterval{86400000};

/// Bounds of [Cluster] LeaseTTL=: under 5 s a busy etcd or loop loses the lease, over an
/// hour a dead node lingers.
inline constexpr std::chrono::seconds kMinLeaseTtl{5};
inline constexpr std::chrono::seconds kMaxLeaseTtl{3600};

/// The schema of weftd.conf.
Schema daemonSchema();
/// Reads settings out of a validated weftd.conf; throws ConfigException on semantic errors
/// (including [Cluster] files that cannot be read and endpoints that are not
/// http(s)://host:port).
DaemonSettings daemonSettings(const Config& config);

}  // namespace weft
