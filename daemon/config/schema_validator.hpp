// Merges parsed files (main file, then drop-ins) into one Config, validating every section
// and key against the Schema and applying defaults.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ini_reader.hpp"
#include "weft/config.hpp"

namespace weft::config {

/// `files` (name, parsed text) in the order they apply. `mainName` locates errors about
/// sections that were never written ("wireguard-mesh.conf:0"). Every error found is
/// appended to `errors`; the result is only meaningful when none were.
Config mergeAndValidate(const std::vector<std::pair<std::string, RawFile>>& files,
                        const Schema& schema, const std::string& mainName,
                        std::vector<ConfigError>& errors);

}  // namespace weft::config
