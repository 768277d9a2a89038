#include "daemon_config.hpp"

#include <filesystem>
#include <set>

#include "config/error_limit.hpp"

namespace weft {

Schema daemonSchema() {
    KeySpec plugins{"Plugins", ValueType::Name, true};
    plugins.help = "plugins to load, in order (space-separated and/or repeated)";
    KeySpec dirs{"PluginDirectory", ValueType::Path, true};
    dirs.help = "extra directories searched for <plugin>.so before the built-in one";
    KeySpec level{"LogLevel", ValueType::Enum};
    level.choices = {"debug", "info", "notice", "warning", "error"};
    KeySpec flush{"FlushOnStop", ValueType::Bool};
    flush.defaultValue = "no";
    flush.help = "remove everything weft owns from the kernel when weftd stops";
    KeySpec owner{"NftablesOwnerFlag", ValueType::Bool};
    owner.defaultValue = "yes";
    owner.help = "own weft's nftables tables (owner+persist) so others cannot change them";
    KeySpec resync{"ResyncInterval", ValueType::Duration};
    resync.defaultValue = "60s";
    resync.help = "re-converge everything at this interval even without a change (1s to 1d)";
    return Schema{{SectionSpec{
        "Daemon", false, {plugins, dirs, level, flush, owner, resync}, "the core daemon"}}};
}

Location DaemonSettings::locationOf(const std::string& plugin) const {
    for (size_t i = 0; i < plugins.size() && i < pluginLocations.size(); ++i) {
        if (plugins[i] == plugin)
            return pluginLocations[i];
    }
    return Location{file, 0};
}

DaemonSettings daemonSettings(const Config& config) {
    DaemonSettings s;
    if (!config.files.empty() &&
        std::filesystem::path(config.files.front()).filename() == "weftd.conf")
        s.file = config.files.front();
    const Section* d = config.section("Daemon");
    if (!d)
        return s;
    std::set<std::string> seen;
    std::vector<ConfigError> errors;
    for (auto* setting : d->all("Plugins")) {
        auto name = std::get<std::string>(setting->value);
        if (!seen.insert(name).second) {
            errors.push_back(ConfigError{setting->where, "Daemon", "Plugins",
                                         "plugin " + name + " is listed twice"});
            continue;
        }
        s.plugins.push_back(name);
        s.pluginLocations.push_back(setting->where);
    }
    for (auto& p : d->strings("PluginDirectory"))
        s.pluginDirs.emplace_back(p);
    s.logLevel = d->str("LogLevel");
    s.flushOnStop = d->boolean("FlushOnStop", false);
    s.nftOwnerFlag = d->boolean("NftablesOwnerFlag", true);
    s.resyncInterval = d->duration("ResyncInterval", s.resyncInterval);
    if (s.resyncInterval < kMinResyncInterval || s.resyncInterval > kMaxResyncInterval) {
        errors.push_back(d->error("ResyncInterval", "must be between 1s and 1d (24h)"));
    }
    if (!errors.empty()) {
        config::limitErrors(errors);
        throw ConfigException(errors);
    }
    return s;
}

}  // namespace weft
