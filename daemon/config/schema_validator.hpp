// Merges parsed files (main file, then drop-ins) into one Config, validating every
// section and key against the Schema, and applying defaults.
#pragma once

#include <string>
#include <vector>

#include "ini_reader.hpp"
#include "weft/config.hpp"

namespace weft::config {

/// `files` in the order they apply. `mainName` names required-key errors of sections that
/// were never written ("wireguard-mesh.conf"). Throws ConfigException with every error,
/// including `syntaxErrors` collected while reading.
Config validate(const std::vector<std::pair<std::string, RawFile>>& files, const Schema& schema,
                const std::string& mainName, std::vector<ConfigError> syntaxErrors);

/// The closest candidate within edit distance 2 (case-insensitive), or empty.
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace weft::config
