// Config value types and the typed accessors plugins use on a parsed Section.
#include <cstdio>
#include <stdexcept>

#include "weft/config.hpp"

namespace weft {

std::string ConfigError::str() const {
    std::string s = where.str() + ": ";
    if (!section.empty())
        s += "[" + section + "]" + (key.empty() ? ": " : " ");
    if (!key.empty())
        s += key + ": ";
    return s + reason;
}

static std::string joinErrors(const std::vector<ConfigError>& errors) {
    // Appended piece by piece: `"\n" + e.str()` (literal + temporary) trips g++ 12's bogus
    // -Wrestrict at -O3 (GCC bug 105651).
    std::string s;
    for (auto& e : errors) {
        if (!s.empty())
            s += '\n';
        s += e.str();
    }
    return s;
}

ConfigException::ConfigException(std::vector<ConfigError> errors)
    : std::runtime_error(joinErrors(errors)), errors_(std::move(errors)) {}

std::string PortRange::str() const {
    return first == last ? std::to_string(first)
                         : std::to_string(first) + "-" + std::to_string(last);
}

std::string Mark::str() const {
    char buf[32];
    if (mask == 0xffffffff) {
        std::snprintf(buf, sizeof buf, "0x%x", value);
    } else {
        std::snprintf(buf, sizeof buf, "0x%x/0x%x", value, mask);
    }
    return buf;
}

std::string Endpoint::str() const {
    // Built by appending, not `"[" + address.str()`: see joinErrors.
    std::string s;
    if (address.family == Family::V6) {
        s += '[';
        s += address.str();
        s += ']';
    } else {
        s = address.str();
    }
    s += ':';
    s += std::to_string(port);
    return s;
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            return std::nullopt;  // bare IPv6 needs []
    }
    auto addr = Address::parse(host);
    bool bracketed = !text.empty() && text.front() == '[';
    if (!addr || bracketed != (addr->family == Family::V6) || port.empty() || port.size() > 5)
        return std::nullopt;  // brackets exactly around IPv6 addresses
    unsigned p = 0;
    for (char c : port) {
        if (c < '0' || c > '9')
            return std::nullopt;
        p = p * 10 + unsigned(c - '0');
    }
    if (p == 0 || p > 65535)
        return std::nullopt;
    return Endpoint{*addr, uint16_t(p)};
}

// ---------------------------------------------------------------- Section
const Setting* Section::find(const std::string& key) const {
    for (auto& [k, v] : values) {
        if (k == key && !v.empty())
            return &v.back();
    }
    return nullptr;
}

bool Section::has(const std::string& key) const {
    return find(key) != nullptr;
}

std::vector<const Setting*> Section::all(const std::string& key) const {
    std::vector<const Setting*> out;
    for (auto& [k, v] : values) {
        if (k != key)
            continue;
        for (auto& s : v)
            out.push_back(&s);
    }
    return out;
}

template <typename T>
static const T& as(const Setting& s, const std::string& key) {
    if (auto* v = std::get_if<T>(&s.value))
        return *v;
    throw std::logic_error("config key " + key + " read with the wrong type");
}

std::string Section::str(const std::string& key, const std::string& fallback) const {
    auto* s = find(key);
    return s ? as<std::string>(*s, key) : fallback;
}

bool Section::boolean(const std::string& key, bool fallback) const {
    auto* s = find(key);
    return s ? as<bool>(*s, key) : fallback;
}

int64_t Section::integer(const std::string& key, int64_t fallback) const {
    auto* s = find(key);
    return s ? as<int64_t>(*s, key) : fallback;
}

std::chrono::milliseconds Section::duration(const std::string& key,
                                            std::chrono::milliseconds fallback) const {
    auto* s = find(key);
    return s ? as<std::chrono::milliseconds>(*s, key) : fallback;
}

std::optional<Mark> Section::mark(const std::string& key) const {
    auto* s = find(key);
    if (!s)
        return std::nullopt;
    return as<Mark>(*s, key);
}

template <typename T>
static std::vector<T> list(const Section& sec, const std::string& key) {
    std::vector<T> out;
    for (auto* s : sec.all(key))
        out.push_back(as<T>(*s, key));
    return out;
}

std::vector<std::string> Section::strings(const std::string& key) const {
    return list<std::string>(*this, key);
}
std::vector<Prefix> Section::prefixes(const std::string& key) const {
    return list<Prefix>(*this, key);
}
std::vector<PrefixOrSet> Section::prefixOrSets(const std::string& key) const {
    return list<PrefixOrSet>(*this, key);
}
std::vector<PortRange> Section::portRanges(const std::string& key) const {
    return list<PortRange>(*this, key);
}
std::vector<Endpoint> Section::endpoints(const std::string& key) const {
    return list<Endpoint>(*this, key);
}

ConfigError Section::error(const std::string& key, const std::string& reason) const {
    std::string header = id.empty() ? name : name + " " + id;
    if (auto* s = find(key))
        return ConfigError{s->where, header, key, reason};
    return ConfigError{where, header, key, reason};
}

// ---------------------------------------------------------------- Config
const Section* Config::section(const std::string& name) const {
    for (auto& s : sections) {
        if (s.name == name && s.id.empty())
            return &s;
    }
    return nullptr;
}

std::vector<const Section*> Config::named(const std::string& name) const {
    std::vector<const Section*> out;
    for (auto& s : sections) {
        if (s.name == name && !s.id.empty())
            out.push_back(&s);
    }
    return out;
}

}  // namespace weft
