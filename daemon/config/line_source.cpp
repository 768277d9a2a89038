#include "line_source.hpp"

namespace weft::config {

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos)
        return {};
    size_t e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

bool isComment(std::string_view trimmed) {
    return !trimmed.empty() && (trimmed.front() == '#' || trimmed.front() == ';');
}

LineSource::LineSource(std::string_view text) : text_(text) {
    // inih would drop a UTF-8 byte order mark on the first line; so do we, before trimming.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF")
        pos_ = 3;
}

bool LineSource::physical(std::string_view& out) {
    if (pos_ >= text_.size())
        return false;
    size_t nl = text_.find('\n', pos_);
    size_t end = nl == std::string_view::npos ? text_.size() : nl;
    out = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++lineNo_;
    return true;
}

// A line continues when it ends in an unescaped backslash: "a\\" ends in a literal one.
static bool continues(const std::string& t) {
    size_t n = 0;
    while (n < t.size() && t[t.size() - 1 - n] == '\\')
        ++n;
    return n % 2 == 1;
}

bool LineSource::collect(LogicalLine& out) {
    std::string_view phys;
    out.text.clear();
    bool started = false;
    while (physical(phys)) {
        std::string t = trim(phys);
        if (!started) {
            if (t.empty() || isComment(t))
                continue;
            started = true;
            out.line = lineNo_;
        } else if (isComment(t)) {
            continue;  // systemd ignores comment lines inside a continuation
        }
        if (!continues(t)) {
            out.text += t;
            break;
        }
        t.pop_back();  // the backslash becomes one space
        if (std::string part = trim(t); !part.empty())
            out.text += part + " ";
    }
    out.text = trim(out.text);
    return started;
}

bool LineSource::next(LogicalLine& out) {
    while (collect(out)) {
        if (!out.text.empty())
            return true;  // else a lone "\\": nothing to parse
    }
    return false;
}

}  // namespace weft::config
