// weftd.conf: the core's own settings.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "weft/config.hpp"

namespace weft {

struct DaemonSettings {
    std::vector<std::string> plugins;                 ///< [Daemon] Plugins=, in order
    std::vector<std::filesystem::path> pluginDirs;    ///< [Daemon] PluginDirectory=
    std::string logLevel;                             ///< [Daemon] LogLevel=, empty = unchanged
    bool flushOnStop = false;                         ///< [Daemon] FlushOnStop=
    bool nftOwnerFlag = true;                         ///< [Daemon] NftablesOwnerFlag=
    std::chrono::milliseconds resyncInterval{60000};  ///< [Daemon] ResyncInterval=
};

/// The schema of weftd.conf.
Schema daemonSchema();
/// Reads settings out of a validated weftd.conf; throws ConfigException on semantic errors.
DaemonSettings daemonSettings(const Config& config);

}  // namespace weft
