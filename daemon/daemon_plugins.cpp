// Loading, configuring and reloading plugins.
#include <systemd/sd-daemon.h>

#include <set>

#include "bus_text.hpp"
#include "config/error_limit.hpp"
#include "daemon.hpp"
#include "lease_check.hpp"
#include "log.hpp"

namespace weft {

std::string errorReport(const std::exception& e) {
    if (auto* ce = dynamic_cast<const ConfigException*>(&e)) {
        auto errors = ce->errors();
        config::limitErrors(errors);
        std::string text;
        for (auto& err : errors)
            text += (text.empty() ? "" : "\n") + err.str();
        return busText(text);
    }
    return busText(e.what());
}

config::SearchPath Daemon::searchPath() const {
    config::SearchPath p;
    p.root = options_.root;
    return p;
}

DaemonSettings Daemon::readSettings() const {
    return daemonSettings(config::load(searchPath(), "weftd", daemonSchema()));
}

static std::vector<std::filesystem::path> pluginDirs(const DaemonOptions& o,
                                                     const DaemonSettings& s) {
    std::vector<std::filesystem::path> dirs = o.extraPluginDirs;
    dirs.insert(dirs.end(), s.pluginDirs.begin(), s.pluginDirs.end());
    dirs.push_back(o.builtinPluginDir);
    return dirs;
}

// A plugin that cannot be loaded fails with an error naming its Plugins= line (`where`),
// also handed to the caller in `failure` (a reload reports it).
std::unique_ptr<PluginSlot> Daemon::makeSlot(const std::string& name, const Location& where,
                                             ConfigError* failure) {
    auto slot = std::make_unique<PluginSlot>();
    slot->name = name;
    try {
        slot->plugin = PluginLoader(pluginDirs(options_, settings_)).load(name);
        slot->info = slot->plugin->info();
        if (slot->info.name != name) {
            throw PluginLoadError("library " + name + ".so calls itself " + slot->info.name);
        }
    } catch (const std::exception& e) {
        ConfigError error{where, "Daemon", "Plugins", errorReport(e)};
        std::string why = busText(error.str());
        logMessage(LogLevel::Error, name, why);
        slot->plugin.reset();
        slot->fail(why);
        if (failure)
            *failure = std::move(error);
    }
    makeObject(*slot);
    return slot;
}

void Daemon::makeObject(PluginSlot& slot) {
    PluginSlot* raw = &slot;
    PluginView view{[raw] { return raw->name; }, [raw] { return raw->info.version; },
                    [raw] { return raw->state; }, [raw] { return raw->lastError; },
                    [this, raw] { return jsonText(describeSlot(*raw)); }};
    slot.object.reset();
    slot.object = std::make_unique<PluginObject>(bus_->connection(), slot.name,
                                                 slot.info.busInterface, std::move(view));
}

// Reads, validates and takes a plugin's config into use; a bad config marks it failed
// and leaves its kernel state as it was.
void Daemon::configureSlot(PluginSlot& slot) {
    if (!slot.plugin)
        return;
    try {
        Config cfg = config::load(searchPath(), slot.name, slot.plugin->schema());
        slot.plugin->validate(cfg);
        slot.lease = slot.plugin->lease(cfg);
        slot.plugin->configure(cfg);
        slot.config = std::move(cfg);
    } catch (const std::exception& e) {
        std::string why = errorReport(e);
        logMessage(LogLevel::Error, slot.name, "invalid configuration:\n" + why);
        slot.fail(why);
    }
}

void Daemon::loadPlugins() {
    for (auto& name : settings_.plugins) {
        slots_.push_back(makeSlot(name, settings_.locationOf(name)));
        configureSlot(*slots_.back());
    }
}

void Daemon::checkLeaseConflicts() {
    for (size_t i = 0; i < slots_.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            auto& a = *slots_[j];
            auto& b = *slots_[i];
            if (!a.config || !b.config || b.state == "failed")
                continue;
            auto c =
                leaseConflictErrors(a.name, a.lease, b.name, b.lease, settings_.locationOf(b.name));
            if (c.empty())
                continue;
            std::string why = busText(c.front().str());
            logMessage(LogLevel::Error, b.name, "refused: lease conflict: " + why);
            b.fail(why);
        }
    }
}

void Daemon::startSlot(PluginSlot& slot) {
    if (slot.plugin && slot.config && slot.state != "failed" && !slot.started) {
        // The plugin registers its own interface in start(): it needs an unpublished object.
        if (slot.object && slot.object->published())
            makeObject(slot);
        slot.host = std::make_unique<HostImpl>(slot.name, *this, *slot.object);
        try {
            slot.plugin->start(*slot.host);
            slot.started = true;
            slot.ok();
        } catch (const std::exception& e) {
            std::string why = errorReport(e);
            logMessage(LogLevel::Error, slot.name, "start failed: " + why);
            slot.fail(why);
        }
    }
    if (slot.object && !slot.object->published()) {
        try {
            slot.object->publish();
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, slot.name, "D-Bus object: " + errorReport(e));
        }
    }
}

// Plugins an earlier weftd applied that are no longer configured: remove what they own.
void Daemon::sweepOrphans() {
    std::set<std::string> configured(settings_.plugins.begin(), settings_.plugins.end());
    for (auto& name : reconciler_->recordedPlugins()) {
        if (configured.count(name))
            continue;
        logMessage(LogLevel::Info, name, "no longer configured; removing its kernel state");
        for (auto& e : reconciler_->remove(name))
            logMessage(LogLevel::Error, name, e);
    }
}

std::vector<ManagerApi::PluginEntry> Daemon::listPlugins() {
    std::vector<PluginEntry> out;
    for (auto& s : slots_)
        out.push_back({s->name, s->state, PluginObject::pathFor(s->name)});
    return out;
}

static ConfigError plainError(const std::string& file, const std::string& reason) {
    return ConfigError{Location{file, 0}, "", "", reason};
}

// Validates everything the reload would take into use, without touching running plugins.
std::vector<ConfigError> Daemon::stageReload(
    const DaemonSettings& next, std::map<std::string, std::unique_ptr<PluginSlot>>& fresh,
    std::map<std::string, Config>& configs) {
    std::vector<ConfigError> errors;
    std::vector<std::pair<std::string, Lease>> leases;  ///< in config order
    for (auto& name : next.plugins) {
        PluginSlot* slot = nullptr;
        for (auto& s : slots_) {
            if (s->name == name && s->plugin)
                slot = s.get();
        }
        if (!slot) {
            ConfigError failure;
            auto made = makeSlot(name, next.locationOf(name), &failure);
            if (!made->plugin) {
                errors.push_back(std::move(failure));
                continue;
            }
            slot = made.get();
            fresh[name] = std::move(made);
        }
        try {
            Config cfg = config::load(searchPath(), name, slot->plugin->schema());
            slot->plugin->validate(cfg);
            leases.emplace_back(name, slot->plugin->lease(cfg));
            configs.emplace(name, std::move(cfg));
        } catch (const ConfigException& e) {
            auto found = e.errors();  // a plugin's validate() may find any number
            config::limitErrors(found);
            errors.insert(errors.end(), found.begin(), found.end());
        } catch (const std::exception& e) {
            errors.push_back(plainError(name + ".conf", errorReport(e)));
        }
    }
    // Each clash is reported at the later plugin's Plugins= line: listing it made the clash.
    for (auto b = leases.begin(); b != leases.end(); ++b) {
        for (auto a = leases.begin(); a != b; ++a) {
            for (auto& c : leaseConflictErrors(a->first, a->second, b->first, b->second,
                                               next.locationOf(b->first))) {
                errors.push_back(std::move(c));
            }
        }
    }
    return errors;
}

void Daemon::reload() {
    sd_notify(0, "RELOADING=1");
    setState("reloading");
    struct Restore {
        Daemon* d;
        ~Restore() { sd_notify(0, "READY=1"); }
    } restore{this};
    DaemonSettings next;
    std::map<std::string, std::unique_ptr<PluginSlot>> fresh;
    std::map<std::string, Config> configs;
    std::vector<ConfigError> errors;
    try {
        next = readSettings();
        auto saved = settings_;
        settings_.pluginDirs = next.pluginDirs;  // new plugins load from the new directories
        errors = stageReload(next, fresh, configs);
        settings_ = saved;
    } catch (const ConfigException& e) {
        errors = e.errors();
    }
    if (!errors.empty()) {
        config::limitErrors(errors);  // the reply must stay far below the bus's message limit
        for (auto& e : errors)
            logMessage(LogLevel::Error, {}, "reload refused: " + e.str());
        fresh.clear();
        setState("running");
        reconcileNow();
        throw ConfigException(errors);
    }
    // Commit: everything validated.
    DaemonSettings before = std::move(settings_);
    settings_ = next;
    applyDaemonSettings(before);
    std::vector<std::unique_ptr<PluginSlot>> kept;
    for (auto& s : slots_) {
        if (configs.count(s->name) && s->plugin) {
            kept.push_back(std::move(s));
            continue;
        }
        std::string name = s->name;
        s.reset();
        if (configs.count(name))
            continue;  // replaced by a freshly loaded slot
        logMessage(LogLevel::Info, name, "removed from configuration; removing its kernel state");
        for (auto& e : reconciler_->remove(name))
            logMessage(LogLevel::Error, name, e);
        for (auto it = sets_.begin(); it != sets_.end();) {
            it = it->first.rfind(name + "/", 0) == 0 ? sets_.erase(it) : std::next(it);
        }
    }
    slots_.clear();
    for (auto& name : settings_.plugins) {
        std::unique_ptr<PluginSlot> slot;
        for (auto& k : kept) {
            if (k && k->name == name)
                slot = std::move(k);
        }
        if (!slot)
            slot = std::move(fresh[name]);
        Config& cfg = configs.at(name);
        slot->lease = slot->plugin->lease(cfg);
        slot->plugin->configure(cfg);
        slot->config = std::move(cfg);  // not copied: it can hold 100,000 prefixes
        if (slot->state == "failed")
            slot->ok();
        bool isNew = !slot->started;
        slots_.push_back(std::move(slot));
        if (isNew)
            startSlot(*slots_.back());
    }
    flushed_ = false;
    logMessage(LogLevel::Info, {}, "configuration reloaded");
    reconcileNow();
}

}  // namespace weft
