// Logging: journald with structured fields under systemd, plain stderr otherwise.
#pragma once

#include <string>

#include "weft/plugin.hpp"

namespace weft {

/// Messages below this level are dropped.
void setLogLevel(LogLevel level);
/// Parses "debug", "info", "notice", "warning", "error"; false on anything else.
bool parseLogLevel(const std::string& text, LogLevel& out);
/// Sends to journald (with WEFT_PLUGIN=<plugin> when set) if stderr is connected to the
/// journal (JOURNAL_STREAM), else prints "weftd[<plugin>]: <level>: message" to stderr.
void logMessage(LogLevel level, const std::string& plugin, const std::string& message);

}  // namespace weft
