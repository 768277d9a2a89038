// Finds, checks and loads plugin libraries.
//
// Before any plugin code runs, a library must sit in a root-owned directory that is not
// group/world-writable, be itself root-owned and not group/world-writable, and carry the
// ABI marker weft_abi_v<N> (read from its ELF sections with Boost.DLL's library_info,
// without loading it) with N equal to ours.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/plugin.hpp"

namespace weft {

class PluginLoadError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

class PluginLoader {
  public:
    explicit PluginLoader(std::vector<std::filesystem::path> dirs) : dirs_(std::move(dirs)) {}

    /// Loads "<name>.so" from the first directory that has it. The returned object keeps its
    /// library loaded; the library is unloaded after the object is destroyed.
    /// Throws PluginLoadError with the reason (path, owner/mode, both ABI numbers, ...).
    std::shared_ptr<Plugin> load(const std::string& name) const;

    /// The ABI number found in a library file, without loading it; nullopt if it has none.
    static std::optional<uint32_t> readAbi(const std::filesystem::path& file);

    const std::vector<std::filesystem::path>& directories() const { return dirs_; }

  private:
    std::filesystem::path find(const std::string& name) const;
    std::vector<std::filesystem::path> dirs_;
};

}  // namespace weft
