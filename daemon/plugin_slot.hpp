// One configured plugin inside weftd: the object, its host handle, bus object and status.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bus/plugin_object.hpp"
#include "host_impl.hpp"
#include "weft/plugin.hpp"

namespace weft {

struct PluginSlot {
    std::string name;
    std::shared_ptr<Plugin> plugin;  ///< null when loading failed
    PluginInfo info;
    std::string state = "loaded";  ///< loaded, running, failed
    std::string lastError;
    bool started = false;
    std::optional<Config> config;
    Lease lease;
    std::unique_ptr<PluginObject> object;
    std::unique_ptr<HostImpl> host;

    void fail(const std::string& error) {
        state = "failed";
        lastError = error;
        if (object)
            object->announceState();
    }
    void ok() {
        bool changed = state != "running" || !lastError.empty();
        state = "running";
        lastError.clear();
        if (changed && object)
            object->announceState();
    }

    /// Everything that came from the plugin's library goes before the library itself:
    /// bus handlers, timers and callbacks, then the plugin object (whose deleter unloads it).
    ~PluginSlot() {
        if (plugin && started) {
            try {
                plugin->stop();
            } catch (...) {
            }
        }
        object.reset();
        if (host)
            host->release();
        host.reset();
        plugin.reset();
    }
};

}  // namespace weft
