// Text output helpers for weftctl: aligned tables and colour (only on a TTY).
#pragma once

#include <string>
#include <vector>

namespace weftctl {

bool useColour();
/// Colours a plugin/peer/store state word: running/up/connected green, failed/down/disconnected
/// red, others yellow.
std::string colourState(const std::string& state);
/// Prints rows as aligned columns; the first row is the header.
void printTable(const std::vector<std::vector<std::string>>& rows);
/// "1.2 KiB"-style sizes for byte counters.
std::string humanBytes(uint64_t n);

}  // namespace weftctl
