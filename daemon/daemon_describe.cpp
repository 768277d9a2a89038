// Describe: the whole daemon state as JSON (like networkd's Describe).
#include "daemon.hpp"
#include "weft_build_config.h"

namespace weft {

Json Daemon::describeSlot(PluginSlot& slot) {
    Json j = Json::object();
    j["name"] = slot.name;
    j["version"] = slot.info.version;
    j["state"] = slot.state;
    j["lastError"] = slot.lastError;
    j["objectPath"] = PluginObject::pathFor(slot.name);
    if (slot.config) {
        Json files = Json::array();
        for (auto& f : slot.config->files)
            files.push_back(f);
        j["configFiles"] = files;
    }
    if (slot.plugin && slot.started) {
        try {
            j["status"] = Json::parse(slot.plugin->describe());
        } catch (const std::exception& e) {
            j["status"] = Json(std::string("describe failed: ") + e.what());
        }
        j["kernel"] = reconciler_->kernelFacts(slot.name);
    }
    return j;
}

std::string Daemon::describe() {
    Json j = Json::object();
    j["version"] = WEFT_VERSION;
    j["state"] = state_;
    Json plugins = Json::array();
    for (auto& s : slots_)
        plugins.push_back(describeSlot(*s));
    j["plugins"] = plugins;
    Json sets = Json::object();
    for (auto& [name, set] : sets_) {
        Json list = Json::array();
        for (auto& p : set.prefixes())
            list.push_back(p.str());
        sets[name] = list;
    }
    j["sets"] = sets;
    j["cluster"] = cluster_.describe();
    return jsonText(j, 2);
}

}  // namespace weft
