#include "daemon_config.hpp"

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
    resync.help = "re-converge everything at this interval even without a change";
    return Schema{{SectionSpec{
        "Daemon", false, {plugins, dirs, level, flush, owner, resync}, "the core daemon"}}};
}

DaemonSettings daemonSettings(const Config& config) {
    DaemonSettings s;
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
    }
    for (auto& p : d->strings("PluginDirectory"))
        s.pluginDirs.emplace_back(p);
    s.logLevel = d->str("LogLevel");
    s.flushOnStop = d->boolean("FlushOnStop", false);
    s.nftOwnerFlag = d->boolean("NftablesOwnerFlag", true);
    s.resyncInterval = d->duration("ResyncInterval", s.resyncInterval);
    if (!errors.empty()) {
        config::limitErrors(errors);
        throw ConfigException(errors);
    }
    return s;
}

}  // namespace weft
