#include "ini_reader.hpp"

#include <ini.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "../bus_text.hpp"
#include "line_source.hpp"

namespace weft::config {
namespace {

// Stands in for ';' so inih's inline-comment handling cannot cut a value; restored after.
// Safe because lines with control characters are refused before they reach inih.
constexpr char kSemicolon = '\x1f';

bool hasControlCharacter(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
}

bool validKeyName(std::string_view k) {
    return !k.empty() && std::all_of(k.begin(), k.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

std::string tooLong(size_t n) {
    return "line too long (" + std::to_string(n) + " characters, limit " +
           std::to_string(kMaxLine) + ")";
}

class Reader {
  public:
    Reader(std::string_view text, const std::string& file, std::vector<ConfigError>& errors)
        : lines_(text), file_(file), errors_(errors) {}

    // What inih gets for the next logical line ("" when the line was refused); false at
    // the end of the text.
    bool next(std::string& forInih) {
        if (!lines_.next(current_))
            return false;
        forInih = feed(current_.text);
        return true;
    }

    // inih's handler: one Key=value of the line just fed.
    void assignment(const char* key, const char* value) {
        std::string v = value;
        std::replace(v.begin(), v.end(), kSemicolon, ';');
        out_.assignments.push_back(RawAssignment{here(), out_.sections.size() - 1, key, v});
    }

    RawFile take() { return std::move(out_); }

  private:
    Location here() const { return Location{file_, current_.line}; }

    void error(const std::string& key, const std::string& reason) {
        // One past the report's limit, so the summary can name where the unlisted ones begin.
        if (reported_ > kMaxReportedErrors) {
            ++out_.unreportedErrors;
            return;
        }
        ++reported_;
        errors_.push_back(ConfigError{here(), header_, key, reason});
    }

    std::string feed(const std::string& l) {
        const char* refused = hasControlCharacter(l) ? "line contains a control character"
                              : !isValidUtf8(l)      ? "line is not valid UTF-8"
                                                     : nullptr;
        if (refused) {
            if (l.front() == '[')
                refuseSection();
            error("", refused);
            return {};
        }
        if (l.front() == '[')
            return sectionHeader(l);
        return keyValue(l);
    }

    // A header line starts a section even when refused: its lines must not land in the
    // section before it.
    void refuseSection() {
        sawHeader_ = true;
        inSection_ = false;  // until a header proves valid: drop its lines silently
        header_.clear();
    }

    std::string sectionHeader(const std::string& l) {
        refuseSection();
        std::string inner = trim(std::string_view(l).substr(1, l.size() - 1));
        if (!inner.empty() && inner.back() == ']')
            inner = trim(std::string_view(inner).substr(0, inner.size() - 1));
        RawSection s{here(), inner, ""};
        if (auto sp = inner.find_first_of(" \t"); sp != std::string::npos) {
            s.name = inner.substr(0, sp);
            s.id = trim(std::string_view(inner).substr(sp));
        }
        if (l.back() != ']' || s.name.empty() || inner.find_first_of("[]") != std::string::npos) {
            error("", "malformed section header; expected [Name] or [Name id]");
            return {};
        }
        if (l.size() > kMaxLine) {
            error("", tooLong(l.size()));
            return {};
        }
        header_ = s.header();
        out_.sections.push_back(s);
        inSection_ = true;
        return "[" + s.name + "]";  // inih only needs to know a section started
    }

    std::string keyValue(const std::string& l) {
        auto eq = l.find('=');
        if (eq == std::string::npos) {
            error("", "expected Key=value");
            return {};
        }
        std::string key = trim(std::string_view(l).substr(0, eq));
        if (key.empty()) {
            error("", "expected Key=value; the key is missing");
            return {};
        }
        if (!validKeyName(key)) {
            error("", "expected Key=value; '" + key +
                          "' is not a key name (letters, digits, '_', '-', '.')");
            return {};
        }
        if (l.size() > kMaxLine) {
            error(key, tooLong(l.size()) + "; split the list over repeated " + key + "= lines");
            return {};
        }
        if (!sawHeader_) {
            error(key, "assignment outside of any section");
            return {};
        }
        if (!inSection_)
            return {};  // its section header was refused: already reported
        // Normalized so inih splits at our '=' and keeps every ';' of the value.
        std::string line = key + "=" + trim(std::string_view(l).substr(eq + 1));
        std::replace(line.begin(), line.end(), ';', kSemicolon);
        return line;
    }

    LineSource lines_;
    LogicalLine current_;
    const std::string& file_;
    std::vector<ConfigError>& errors_;
    RawFile out_;
    std::string header_;      // of the current section, for messages
    bool sawHeader_ = false;  // any section header, even a refused one
    bool inSection_ = false;  // the current section header was accepted
    size_t reported_ = 0;     // errors stored for this file
};

char* readLine(char* buf, int size, void* stream) {
    std::string line;
    if (!static_cast<Reader*>(stream)->next(line))
        return nullptr;
    // Lines are at most kMaxLine long here; the check keeps inih's buffer safe regardless.
    size_t n = std::min(line.size(), size_t(size - 1));
    std::memcpy(buf, line.data(), n);
    buf[n] = '\0';
    return buf;
}

int onKeyValue(void* user, const char*, const char* key, const char* value) {
    static_cast<Reader*>(user)->assignment(key, value);
    return 1;
}

}  // namespace

RawFile readIni(std::string_view text, const std::string& file, std::vector<ConfigError>& errors) {
    Reader reader(text, file, errors);
    // inih's own error result can only concern lines we refused and reported already.
    ini_parse_stream(&readLine, &reader, &onKeyValue, &reader);
    return reader.take();
}

}  // namespace weft::config
