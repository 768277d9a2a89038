// Splits a config text into logical lines, systemd style: blank and comment lines are
// dropped, a trailing backslash joins the next line (with one space), and comment lines
// inside such a continuation are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weft::config {

struct LogicalLine {
    unsigned line = 0;  ///< number of the first physical line, from 1
    std::string text;   ///< trimmed, continuations joined; never empty
};

class LineSource {
  public:
    explicit LineSource(std::string_view text);
    /// The next logical line; false at the end of the text.
    bool next(LogicalLine& out);

  private:
    /// The next physical line without its line end; false at the end of the text.
    bool physical(std::string_view& out);
    /// Reads one logical line into `out`; false when no line started before the end.
    bool collect(LogicalLine& out);

    std::string_view text_;
    size_t pos_ = 0;
    unsigned lineNo_ = 0;  ///< number of the physical line last read
};

/// `s` without leading and trailing blanks (space, tab, CR).
std::string trim(std::string_view s);
/// True for a line that systemd ignores: "#" or ";" after optional blanks.
bool isComment(std::string_view trimmed);

}  // namespace weft::config
