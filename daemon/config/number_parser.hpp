// Numbers in config text: unsigned decimal or 0x hex integers, and systemd durations.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace weft::config {

/// "42" or "0x2a" (also "0X2A"); nullopt on anything else or on overflow.
std::optional<uint64_t> parseUnsigned(std::string_view text);
/// Decimal digits only ("443"); nullopt on anything else or on overflow.
std::optional<uint64_t> parseDecimal(std::string_view text);
/// systemd duration syntax: "25s", "1min 30s", "1min30s", "500ms", "2h", "1d", "1.5s",
/// "100us" (rounded to the nearest millisecond); a bare number means seconds.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

}  // namespace weft::config
