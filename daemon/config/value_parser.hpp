// Text -> typed Value, per ValueType, with a human reason on failure.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "weft/config.hpp"

namespace weft::config {

/// Either the parsed value or why it is not one.
using ParseResult = std::variant<Value, std::string>;

ParseResult parseValue(const KeySpec& spec, const std::string& text);
/// Types whose repeated values may also be given space-separated on one line.
bool splitsOnWhitespace(ValueType t);
/// systemd duration syntax: "25s", "1min 30s", "500ms", "2h"; a bare number is seconds.
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);

}  // namespace weft::config
