// The configuration API of the core: find a component's files, parse, validate.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/config.hpp"

namespace weft::config {

struct SearchPath {
    std::filesystem::path root;  ///< prefixes every dir (weftd --root DIR); empty = none
    std::vector<std::filesystem::path> dirs{"/etc/weft", "/run/weft", "/usr/local/lib/weft",
                                            "/usr/lib/weft"};
};

/// The files of component `name` ("weftd", "wireguard-mesh") in the order they apply: the
/// main file from the highest directory that has one (a symlink to /dev/null masks it), then
/// drop-ins "<name>.conf.d/*.conf" from all directories (same file name: the highest wins;
/// /dev/null masks), sorted by file name.
std::vector<std::filesystem::path> findFiles(const SearchPath& path, const std::string& name);

/// Parses and validates every file of `name`. Throws ConfigException with every error found.
/// No file at all gives the defaults.
Config load(const SearchPath& path, const std::string& name, const Schema& schema);

/// The same for texts given directly (unit tests of plugins).
Config parseText(std::string_view text, const std::string& fileName, const Schema& schema);
Config parseTexts(const std::vector<std::pair<std::string, std::string>>& fileNameAndText,
                  const Schema& schema);

}  // namespace weft::config
