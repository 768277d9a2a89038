#include "value_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace weft::config {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

std::optional<uint64_t> parseUnsigned(const std::string& t) {
    if (t.empty())
        return std::nullopt;
    int base = 10;
    size_t start = 0;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        base = 16;
        start = 2;
    }
    uint64_t v = 0;
    for (size_t i = start; i < t.size(); ++i) {
        int d;
        char c = char(std::tolower(static_cast<unsigned char>(t[i])));
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return std::nullopt;
        if (v > (UINT64_MAX - uint64_t(d)) / uint64_t(base))
            return std::nullopt;
        v = v * uint64_t(base) + uint64_t(d);
    }
    return v;
}

ParseResult parseInt(const KeySpec& spec, const std::string& t) {
    bool neg = !t.empty() && t[0] == '-';
    auto u = parseUnsigned(neg ? t.substr(1) : t);
    if (!u || *u > uint64_t(INT64_MAX))
        return "'" + t + "' is not an integer";
    int64_t v = neg ? -int64_t(*u) : int64_t(*u);
    if (v < spec.min || v > spec.max) {
        return "value " + t + " out of range [" + std::to_string(spec.min) + ", " +
               std::to_string(spec.max) + "]";
    }
    return Value{v};
}

ParseResult parsePort(const std::string& t) {
    auto u = parseUnsigned(t);
    if (!u || *u < 1 || *u > 65535)
        return "'" + t + "' is not a port (1-65535)";
    return Value{PortRange{uint16_t(*u), uint16_t(*u)}};
}

ParseResult parsePortRange(const std::string& t) {
    auto dash = t.find('-');
    if (dash == std::string::npos)
        return parsePort(t);
    auto a = parseUnsigned(t.substr(0, dash));
    auto b = parseUnsigned(t.substr(dash + 1));
    if (!a || !b || *a < 1 || *b > 65535 || *a > *b) {
        return "'" + t + "' is not a port range (first-last, 1-65535, first <= last)";
    }
    return Value{PortRange{uint16_t(*a), uint16_t(*b)}};
}

ParseResult parseMark(const std::string& t) {
    auto slash = t.find('/');
    auto v = parseUnsigned(t.substr(0, slash));
    std::optional<uint64_t> m = uint64_t(0xffffffff);
    if (slash != std::string::npos)
        m = parseUnsigned(t.substr(slash + 1));
    if (!v || !m || *v > 0xffffffff || *m > 0xffffffff || *m == 0) {
        return "'" + t + "' is not a mark (value or value/mask, 32-bit, e.g. 0x20/0x60)";
    }
    if (*v & ~*m)
        return "mark value " + t.substr(0, slash) + " has bits outside its mask";
    return Value{Mark{uint32_t(*v), uint32_t(*m)}};
}

ParseResult parsePrefix(const std::string& t) {
    if (auto p = Prefix::parse(t))
        return Value{*p};
    if (auto loose = Prefix::parseLoose(t)) {
        return "'" + t + "' has host bits set; did you mean " + loose->str() + "?";
    }
    return "'" + t + "' is not an IP prefix";
}

bool validName(const std::string& t) {
    if (t.empty() || t.size() > 64)
        return false;
    return std::all_of(t.begin(), t.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '.' || c == '-';
    });
}

bool validKey(const std::string& t) {
    static const std::string b64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (t.size() != 44 || t[43] != '=')
        return false;
    return std::all_of(t.begin(), t.begin() + 43,
                       [](char c) { return b64.find(c) != std::string::npos; });
}

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(const std::string& text) {
    static const std::vector<std::pair<std::string, double>> units = {
        {"us", 0.001}, {"ms", 1},       {"sec", 1000},  {"s", 1000},       {"min", 60000},
        {"m", 60000},  {"hr", 3600000}, {"h", 3600000}, {"d", 86400000.0}, {"w", 604800000.0}};
    double total = 0;
    size_t i = 0;
    bool any = false;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ')
            ++i;
        if (i >= text.size())
            break;
        size_t numStart = i;
        while (i < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
            ++i;
        if (numStart == i)
            return std::nullopt;
        double n = std::stod(text.substr(numStart, i - numStart));
        size_t unitStart = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
            ++i;
        std::string unit = text.substr(unitStart, i - unitStart);
        double factor = 0;
        if (unit.empty())
            factor = 1000;
        for (auto& [u, f] : units) {
            if (unit == u)
                factor = f;
        }
        if (factor == 0)
            return std::nullopt;
        total += n * factor;
        any = true;
    }
    if (!any)
        return std::nullopt;
    return std::chrono::milliseconds(int64_t(total + 0.5));
}

bool splitsOnWhitespace(ValueType t) {
    switch (t) {
        case ValueType::Name:
        case ValueType::Prefix:
        case ValueType::PrefixOrSet:
        case ValueType::Address:
        case ValueType::Port:
        case ValueType::PortRange:
        case ValueType::Endpoint:
        case ValueType::Path:
            return true;
        default:
            return false;
    }
}

ParseResult parseValue(const KeySpec& spec, const std::string& t) {
    switch (spec.type) {
        case ValueType::String:
            return Value{t};
        case ValueType::Name:
            if (!validName(t))
                return "'" + t + "' is not a valid name (letters, digits, _ . -; at most 64)";
            return Value{t};
        case ValueType::Bool: {
            auto l = lower(t);
            if (l == "yes" || l == "true" || l == "on" || l == "1")
                return Value{true};
            if (l == "no" || l == "false" || l == "off" || l == "0")
                return Value{false};
            return "'" + t + "' is not a boolean (yes/no, true/false, on/off, 1/0)";
        }
        case ValueType::Int:
            return parseInt(spec, t);
        case ValueType::Prefix:
            return parsePrefix(t);
        case ValueType::PrefixOrSet: {
            if (!t.empty() && t[0] == '@') {
                auto name = t.substr(1);
                auto slash = name.find('/');
                if (slash == std::string::npos || slash == 0 || slash + 1 == name.size()) {
                    return "'" + t + "' is not a set reference (@plugin/set)";
                }
                return Value{PrefixOrSet{std::nullopt, name}};
            }
            auto r = parsePrefix(t);
            if (auto* s = std::get_if<std::string>(&r))
                return *s;
            return Value{PrefixOrSet{std::get<Prefix>(std::get<Value>(r)), {}}};
        }
        case ValueType::Address:
            if (auto a = Address::parse(t))
                return Value{*a};
            return "'" + t + "' is not an IP address";
        case ValueType::Port:
            return parsePort(t);
        case ValueType::PortRange:
            return parsePortRange(t);
        case ValueType::Mark:
            return parseMark(t);
        case ValueType::Duration:
            if (auto d = parseDuration(t))
                return Value{*d};
            return "'" + t + "' is not a duration (e.g. 25s, 1min 30s, 500ms)";
        case ValueType::Path:
            if (t.empty() || t[0] != '/')
                return "'" + t + "' is not an absolute path";
            return Value{t};
        case ValueType::Endpoint:
            if (auto e = Endpoint::parse(t))
                return Value{*e};
            return "'" + t + "' is not an endpoint (IPv4:port or [IPv6]:port)";
        case ValueType::Enum: {
            for (auto& c : spec.choices) {
                if (c == t)
                    return Value{t};
            }
            std::string list;
            for (auto& c : spec.choices)
                list += (list.empty() ? "" : ", ") + c;
            return "'" + t + "' is not one of: " + list;
        }
        case ValueType::Key:
            if (!validKey(t))
                return std::string("not a WireGuard key (base64 of 32 bytes, 44 characters)");
            return Value{t};
    }
    return std::string("unknown value type");
}

}  // namespace weft::config
