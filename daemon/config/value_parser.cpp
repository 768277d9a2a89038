#include "value_parser.hpp"

#include <algorithm>
#include <cctype>

#include "number_parser.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::config {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

namespace {

std::string quoted(const std::string& t) {
    return "'" + t + "'";
}

ParseResult parseBool(const std::string& t) {
    auto l = lower(t);
    if (l == "yes" || l == "true" || l == "on" || l == "1")
        return Value{true};
    if (l == "no" || l == "false" || l == "off" || l == "0")
        return Value{false};
    return quoted(t) + " is not a boolean (yes/no, true/false, on/off, 1/0)";
}

ParseResult parseInt(const KeySpec& spec, const std::string& t) {
    bool neg = !t.empty() && t[0] == '-';
    auto u = parseUnsigned(neg ? std::string_view(t).substr(1) : std::string_view(t));
    if (!u)
        return quoted(t) + " is not an integer";
    constexpr uint64_t kMinMagnitude = uint64_t(INT64_MAX) + 1;
    bool fits = neg ? *u <= kMinMagnitude : *u <= uint64_t(INT64_MAX);
    // -(u - 1) - 1 reaches INT64_MIN without overflowing.
    int64_t v = !fits ? 0 : neg ? (*u == 0 ? 0 : -int64_t(*u - 1) - 1) : int64_t(*u);
    if (!fits || v < spec.min || v > spec.max) {
        return "value " + t + " out of range [" + std::to_string(spec.min) + ", " +
               std::to_string(spec.max) + "]";
    }
    return Value{v};
}

std::optional<uint16_t> port(std::string_view t) {
    auto u = parseDecimal(t);
    if (!u || *u < 1 || *u > 65535)
        return std::nullopt;
    return uint16_t(*u);
}

ParseResult parsePort(const std::string& t) {
    if (auto p = port(t))
        return Value{PortRange{*p, *p}};
    return quoted(t) + " is not a port (1-65535)";
}

ParseResult parsePortRange(const std::string& t) {
    auto dash = t.find('-');
    if (dash == std::string::npos)
        return parsePort(t);
    auto a = port(std::string_view(t).substr(0, dash));
    auto b = port(std::string_view(t).substr(dash + 1));
    if (!a || !b)
        return quoted(t) + " is not a port range (443 or 2379-2380, ports 1-65535)";
    if (*a > *b)
        return "port range " + quoted(t) + " ends before it starts";
    return Value{PortRange{*a, *b}};
}

ParseResult parseMark(const std::string& t) {
    auto slash = t.find('/');
    std::string valueText = t.substr(0, slash);
    auto v = parseUnsigned(valueText);
    std::optional<uint64_t> m = uint64_t(0xffffffff);
    if (slash != std::string::npos)
        m = parseUnsigned(std::string_view(t).substr(slash + 1));
    if (!v || !m || *v > 0xffffffff || *m > 0xffffffff)
        return quoted(t) + " is not a mark (32-bit value or value/mask, e.g. 0x20/0x60)";
    if (*m == 0)
        return "mark " + quoted(t) + " has an empty mask";
    if (*v & ~*m)
        return "mark value " + valueText + " has bits outside its mask";
    return Value{Mark{uint32_t(*v), uint32_t(*m)}};
}

ParseResult parsePrefix(const std::string& t) {
    if (auto p = Prefix::parse(t))
        return Value{*p};
    if (auto loose = Prefix::parseLoose(t))
        return quoted(t) + " has host bits set; did you mean " + loose->str() + "?";
    return quoted(t) + " is not an IP prefix";
}

ParseResult parsePrefixOrSet(const std::string& t) {
    if (!t.empty() && t[0] == '@') {
        auto name = t.substr(1);
        auto slash = name.find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == name.size() ||
            name.find('/', slash + 1) != std::string::npos) {
            return quoted(t) + " is not a set reference (@plugin/set)";
        }
        return Value{PrefixOrSet{std::nullopt, name}};
    }
    auto r = parsePrefix(t);
    if (auto* why = std::get_if<std::string>(&r))
        return *why;
    return Value{PrefixOrSet{std::get<Prefix>(std::get<Value>(r)), {}}};
}

bool validName(const std::string& t) {
    return !t.empty() && t.size() <= 64 && std::all_of(t.begin(), t.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '.' || c == '-';
    });
}

ParseResult parseEnum(const KeySpec& spec, const std::string& t) {
    if (std::find(spec.choices.begin(), spec.choices.end(), t) != spec.choices.end())
        return Value{t};
    std::string list;
    for (auto& c : spec.choices)
        list += (list.empty() ? "" : ", ") + c;
    return quoted(t) + " is not one of: " + list;
}

ParseResult parseText(ValueType type, const std::string& t) {
    switch (type) {
        case ValueType::Name:
            if (!validName(t))
                return quoted(t) + " is not a valid name (letters, digits, '_', '.', '-'; " +
                       "at most 64 characters)";
            return Value{t};
        case ValueType::Path:
            if (t.empty() || t[0] != '/')
                return quoted(t) + " is not an absolute path";
            return Value{t};
        case ValueType::Key:
            // Never echo the text: it may be a preshared key.
            if (!wg::isValidKey(t))
                return std::string("not a WireGuard key (base64 of 32 bytes, 44 characters)");
            return Value{t};
        default:
            return Value{t};
    }
}

}  // namespace

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

std::vector<std::string> valueWords(const KeySpec& spec, const std::string& text) {
    if (!spec.repeated || !splitsOnWhitespace(spec.type))
        return {text};
    std::vector<std::string> words;
    size_t i = 0;
    while ((i = text.find_first_not_of(" \t", i)) != std::string::npos) {
        size_t end = std::min(text.find_first_of(" \t", i), text.size());
        words.push_back(text.substr(i, end - i));
        i = end;
    }
    return words;
}

ParseResult parseValue(const KeySpec& spec, const std::string& t) {
    switch (spec.type) {
        case ValueType::Bool:
            return parseBool(t);
        case ValueType::Int:
            return parseInt(spec, t);
        case ValueType::Prefix:
            return parsePrefix(t);
        case ValueType::PrefixOrSet:
            return parsePrefixOrSet(t);
        case ValueType::Address:
            if (auto a = Address::parse(t))
                return Value{*a};
            return quoted(t) + " is not an IP address";
        case ValueType::Port:
            return parsePort(t);
        case ValueType::PortRange:
            return parsePortRange(t);
        case ValueType::Mark:
            return parseMark(t);
        case ValueType::Duration:
            if (auto d = parseDuration(t))
                return Value{*d};
            return quoted(t) + " is not a duration (e.g. 25s, 1min 30s, 500ms, 2h)";
        case ValueType::Endpoint:
            if (auto e = Endpoint::parse(t))
                return Value{*e};
            return quoted(t) + " is not an endpoint (IPv4:port or [IPv6]:port)";
        case ValueType::Enum:
            return parseEnum(spec, t);
        case ValueType::String:
        case ValueType::Name:
        case ValueType::Path:
        case ValueType::Key:
            return parseText(spec.type, t);
    }
    return std::string("unknown value type");
}

}  // namespace weft::config
