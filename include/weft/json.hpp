// weft plugin SDK: JSON, for Describe output, weftctl and small state files.
//
// weft::Json is nlohmann::ordered_json (Debian nlohmann-json3-dev; pkg-config
// `nlohmann_json`, which weft-plugin.pc requires): objects keep insertion order, so
// Describe's keys come out in the order the code wrote them.
//
// Two of its behaviours to keep in mind:
// - `const Json& j; j["absent"]` is undefined behaviour: use j.at("key") (throws
//   Json::out_of_range), j.contains("key") or j.value("key", fallback) on const values.
// - Json::parse throws Json::parse_error, and dump() throws Json::type_error on a string
//   that is not UTF-8; both derive from Json::exception, a std::exception, not from
//   std::runtime_error.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace weft {

using Json = nlohmann::ordered_json;

/// `j` as text, compact when indent < 0, pretty-printed otherwise. Unlike j.dump() it
/// never throws: bytes that are not UTF-8 (a config value, a kernel message) become
/// U+FFFD, since the text goes over D-Bus, whose strings must be UTF-8 anyway.
inline std::string jsonText(const Json& j, int indent = -1) {
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace weft
