#include "ini_reader.hpp"

#include <ini.h>

#include <cstring>

namespace weft::config {
namespace {

// Stands in for ';' so inih's inline-comment handling cannot cut a value; restored after.
constexpr char kSemicolon = '\x1f';

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos)
        return {};
    size_t e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

struct State {
    std::string_view text;
    size_t pos = 0;
    unsigned nextLine = 1;  // physical line number of the next line to read
    unsigned line = 0;      // line number of the logical line last handed to inih
    std::string file;
    RawFile out;
    std::vector<ConfigError>* errors = nullptr;
    std::string sectionHeader;  // as written, for messages

    void error(const std::string& key, const std::string& reason) {
        errors->push_back(ConfigError{Location{file, line}, sectionHeader, key, reason});
    }

    // The next logical line: physical lines joined over trailing backslashes.
    bool nextLogical(std::string& logical) {
        if (pos >= text.size())
            return false;
        line = nextLine;
        logical.clear();
        while (pos < text.size()) {
            size_t nl = text.find('\n', pos);
            std::string_view phys =
                text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
            pos = nl == std::string_view::npos ? text.size() : nl + 1;
            ++nextLine;
            std::string t = trim(phys);
            bool comment = logical.empty() && (t.empty() || t[0] == '#' || t[0] == ';');
            if (!comment && !t.empty() && t.back() == '\\') {
                t.pop_back();
                logical += trim(t) + " ";
                continue;
            }
            logical += comment ? "" : t;
            break;
        }
        logical = trim(logical);
        return true;
    }

    // What inih should see for this logical line ("" for nothing).
    std::string feed(const std::string& l) {
        if (l.empty())
            return {};
        if (l.front() == '[') {
            if (l.back() != ']') {
                error("", "malformed section header; expected [Name] or [Name id]");
                return {};
            }
            std::string inner = trim(std::string_view(l).substr(1, l.size() - 2));
            sectionHeader = inner;
            RawSection s{Location{file, line}, inner, ""};
            if (auto sp = inner.find_first_of(" \t"); sp != std::string::npos) {
                s.name = inner.substr(0, sp);
                s.id = trim(std::string_view(inner).substr(sp));
            }
            if (s.name.empty())
                error("", "empty section name");
            out.sections.push_back(s);
            return l;
        }
        auto eq = l.find('=');
        std::string key =
            eq == std::string::npos ? std::string() : trim(std::string_view(l).substr(0, eq));
        if (eq == std::string::npos || key.empty()) {
            error("", "expected Key=value (\"Key: value\" and bare words are not allowed)");
            return {};
        }
        if (l.size() > kMaxLine) {
            error(key, "line too long (" + std::to_string(l.size()) + " characters, limit " +
                           std::to_string(kMaxLine) + "); split the list over repeated " + key +
                           "= lines");
            return {};
        }
        if (out.sections.empty()) {
            error(key, "assignment outside of any section");
            return {};
        }
        std::string protectedLine = l;
        for (char& c : protectedLine) {
            if (c == ';')
                c = kSemicolon;
        }
        return protectedLine;
    }
};

char* reader(char* buf, int size, void* stream) {
    auto* st = static_cast<State*>(stream);
    std::string logical;
    if (!st->nextLogical(logical))
        return nullptr;
    std::string f = st->feed(logical);
    size_t n = std::min(f.size(), size_t(size - 2));
    std::memcpy(buf, f.data(), n);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    return buf;
}

int handler(void* user, const char*, const char* name, const char* value) {
    auto* st = static_cast<State*>(user);
    std::string v = value ? value : "";
    for (char& c : v) {
        if (c == kSemicolon)
            c = ';';
    }
    st->out.assignments.push_back(
        RawAssignment{Location{st->file, st->line}, int(st->out.sections.size()) - 1, name, v});
    return 1;
}

}  // namespace

RawFile readIni(std::string_view text, const std::string& file, std::vector<ConfigError>& errors) {
    State st;
    st.text = text;
    st.file = file;
    st.errors = &errors;
    ini_parse_stream(&reader, &st, &handler, &st);
    return std::move(st.out);
}

}  // namespace weft::config
