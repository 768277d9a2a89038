// Which files make up a component's configuration: search path, overrides, masking, drop-ins.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace weft::config {

struct SearchPath {
    std::filesystem::path root;  ///< prefixes every dir (weftd --root DIR); empty = none
    std::vector<std::filesystem::path> dirs{"/etc/weft", "/run/weft", "/usr/local/lib/weft",
                                            "/usr/lib/weft"};  ///< highest priority first
};

/// The files of component `name` ("weftd", "wireguard-mesh") in the order they apply: the
/// main file "<name>.conf" from the highest directory that has one (a symlink to /dev/null
/// there masks it: no main file), then drop-ins "<name>.conf.d/*.conf" from all directories
/// (same file name: the highest directory wins; a symlink to /dev/null masks it), sorted by
/// file name.
std::vector<std::filesystem::path> findFiles(const SearchPath& path, const std::string& name);

/// The files "<dir>/*<ext>" (for each extension) of every directory of the search path: a
/// file name in a higher directory wins, a masked one is left out; sorted by file name.
std::vector<std::filesystem::path> findDataFiles(const SearchPath& path, const std::string& dir,
                                                 const std::vector<std::string>& extensions);

/// True for a symlink to /dev/null: systemd's way to mask a file of a lower directory.
bool isMasked(const std::filesystem::path& p);

/// `dir` under the search path's root.
std::filesystem::path underRoot(const SearchPath& path, const std::filesystem::path& dir);

}  // namespace weft::config
