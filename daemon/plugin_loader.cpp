#include "plugin_loader.hpp"

#include <sys/stat.h>

#include <boost/dll/import.hpp>
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <sstream>

namespace weft {
namespace {

std::string modeString(mode_t m) {
    std::ostringstream s;
    s << std::oct << (m & 07777);
    return "0" + s.str();
}

// Root-owned and writable by nobody else: anything looser lets a non-root user inject code.
void checkSafe(const std::filesystem::path& p, const char* what) {
    struct stat st {};
    if (stat(p.c_str(), &st) < 0) {
        throw PluginLoadError(std::string(what) + " " + p.string() + ": cannot stat");
    }
    if (st.st_uid != 0) {
        throw PluginLoadError("refusing plugin: " + std::string(what) + " " + p.string() +
                              " is owned by uid " + std::to_string(st.st_uid) + ", not root");
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        throw PluginLoadError("refusing plugin: " + std::string(what) + " " + p.string() +
                              " is group- or world-writable (mode " + modeString(st.st_mode) + ")");
    }
}

}  // namespace

std::optional<uint32_t> PluginLoader::readAbi(const std::filesystem::path& file) {
    try {
        boost::dll::library_info info(boost::dll::fs::path(file.string()));
        for (const auto& sym : info.symbols("weft_abi")) {
            const std::string prefix = "weft_abi_v";
            if (sym.rfind(prefix, 0) == 0)
                return uint32_t(std::stoul(sym.substr(prefix.size())));
        }
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return std::nullopt;
}

std::filesystem::path PluginLoader::find(const std::string& name) const {
    for (const auto& dir : dirs_) {
        auto file = dir / (name + ".so");
        if (std::filesystem::exists(file))
            return file;
    }
    std::string searched;
    for (const auto& d : dirs_)
        searched += (searched.empty() ? "" : ", ") + d.string();
    throw PluginLoadError("plugin " + name + " not found (searched: " + searched + ")");
}

std::shared_ptr<Plugin> PluginLoader::load(const std::string& name) const {
    auto file = find(name);
    checkSafe(file.parent_path(), "directory");
    checkSafe(file, "file");
    auto abi = readAbi(file);
    if (!abi) {
        throw PluginLoadError("refusing plugin " + file.string() +
                              ": no ABI marker (not built with WEFT_PLUGIN?)");
    }
    if (*abi != kPluginAbi) {
        throw PluginLoadError("refusing plugin " + file.string() + ": built for plugin ABI " +
                              std::to_string(*abi) + ", weftd speaks ABI " +
                              std::to_string(kPluginAbi));
    }
    auto lib = std::make_shared<boost::dll::shared_library>(boost::dll::fs::path(file.string()),
                                                            boost::dll::load_mode::rtld_now);
    if (!lib->has("weft_create_plugin")) {
        throw PluginLoadError("refusing plugin " + file.string() + ": no weft_create_plugin");
    }
    using Factory = std::unique_ptr<Plugin>();
    std::unique_ptr<Plugin> created;
    try {
        created = lib->get_alias<Factory>("weft_create_plugin")();
    } catch (const std::exception& e) {
        throw PluginLoadError("plugin " + name + " failed to construct: " + e.what());
    }
    if (!created)
        throw PluginLoadError("plugin " + name + " returned no object");
    // The deleter owns the library: the object's code stays mapped until it is destroyed.
    return std::shared_ptr<Plugin>(created.release(), [lib](Plugin* p) { delete p; });
}

}  // namespace weft
