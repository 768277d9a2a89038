// Reads one INI file with inih, line-aware, with systemd syntax.
//
// inih (Debian r55) gives its handler no line numbers and no callback on a section without
// keys, treats indented lines as continuations, cuts values at " ;", accepts "Key: value" and
// has a 200-byte line buffer. We feed it through ini_parse_stream with our own reader, which
// sees every raw line first: it counts lines, joins "\" continuations, records section
// headers, and turns what systemd syntax does not allow into errors before inih sees it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "weft/config.hpp"

namespace weft::config {

/// A section header as written: "[Peer node-b]" -> name "Peer", id "node-b".
struct RawSection {
    Location where;
    std::string name, id;
    /// "Peer node-b": the header for messages.
    std::string header() const { return id.empty() ? name : name + " " + id; }
};

/// One Key=value line, with the section it belongs to (index into RawFile::sections).
struct RawAssignment {
    Location where;
    size_t section = 0;
    std::string key, value;
};

struct RawFile {
    std::vector<RawSection> sections;
    std::vector<RawAssignment> assignments;
    /// Syntax errors past the first kMaxReportedErrors + 1 of the file: counted, not stored, so
    /// a file of garbage costs no memory per line (see error_limit.hpp).
    size_t unreportedErrors = 0;
};

/// inih's line buffer is 200 bytes including the terminating NUL: the longest line we can
/// hand it.
constexpr size_t kMaxLine = 199;

/// Parses `text` (named `file` in messages). Syntax errors are appended to `errors` (at most
/// kMaxReportedErrors + 1 per file, the rest counted in RawFile::unreportedErrors); lines with
/// errors are left out of the result, so they cause no follow-up errors. A line that is not
/// valid UTF-8 is an error: every name and value may end up on D-Bus.
RawFile readIni(std::string_view text, const std::string& file, std::vector<ConfigError>& errors);

}  // namespace weft::config
