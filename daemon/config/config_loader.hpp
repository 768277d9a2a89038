// The configuration API of the core: find a component's files, parse, validate.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "file_set.hpp"
#include "weft/config.hpp"

namespace weft::config {

/// Parses and validates every file of `name` (see findFiles). Throws ConfigException with
/// every error found in all files, ordered by file and line. No file at all gives the
/// defaults.
Config load(const SearchPath& path, const std::string& name, const Schema& schema);

/// The same for texts given directly (`fileName` is used in messages), for unit tests.
Config parseText(std::string_view text, const std::string& fileName, const Schema& schema);
/// Several texts in the order they apply, like a main file and its drop-ins. Sections never
/// written are located at the first file's line 0.
Config parseTexts(const std::vector<std::pair<std::string, std::string>>& fileNameAndText,
                  const Schema& schema);

}  // namespace weft::config
