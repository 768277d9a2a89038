// Text -> typed Value, per ValueType, with a reason for a human on failure.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "weft/config.hpp"

namespace weft::config {

/// Either the parsed value or why the text is not one.
using ParseResult = std::variant<Value, std::string>;

/// One value (one word of a list) of the key `spec`.
ParseResult parseValue(const KeySpec& spec, const std::string& text);

/// Types whose repeated keys also take several values on one line, split on whitespace.
bool splitsOnWhitespace(ValueType t);
/// ASCII lower case (booleans and suggestions are case-insensitive).
std::string lower(std::string s);

/// The values one assignment of `spec` gives: the text split on whitespace for repeated keys
/// of a splitting type, else the whole text.
std::vector<std::string> valueWords(const KeySpec& spec, const std::string& text);

}  // namespace weft::config
