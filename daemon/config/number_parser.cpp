#include "number_parser.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <utility>

namespace weft::config {
namespace {

std::optional<uint64_t> parseBase(std::string_view digits, unsigned base) {
    if (digits.empty())
        return std::nullopt;
    uint64_t v = 0;
    for (char ch : digits) {
        auto c = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(ch)));
        unsigned d;
        if (std::isdigit(c))
            d = unsigned(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = unsigned(c - 'a' + 10);
        else
            return std::nullopt;
        if (v > (UINT64_MAX - d) / base)
            return std::nullopt;
        v = v * base + d;
    }
    return v;
}

// Milliseconds per unit (systemd's spellings; a unit must match whole).
constexpr std::array<std::pair<std::string_view, double>, 22> kUnits{{
    {"us", 0.001},     {"usec", 0.001},    {"ms", 1},        {"msec", 1},      {"s", 1e3},
    {"sec", 1e3},      {"second", 1e3},    {"seconds", 1e3}, {"m", 6e4},       {"min", 6e4},
    {"minute", 6e4},   {"minutes", 6e4},   {"h", 3.6e6},     {"hr", 3.6e6},    {"hour", 3.6e6},
    {"hours", 3.6e6},  {"d", 8.64e7},      {"day", 8.64e7},  {"days", 8.64e7}, {"w", 6.048e8},
    {"week", 6.048e8}, {"weeks", 6.048e8},
}};

std::optional<double> unitFactor(std::string_view unit) {
    if (unit.empty())
        return 1e3;  // a bare number is seconds
    for (auto& [name, factor] : kUnits) {
        if (unit == name)
            return factor;
    }
    return std::nullopt;
}

// "12", "1.5" or ".5" at text[i]; advances i. nullopt when there is no number there.
std::optional<double> parseNumber(std::string_view text, size_t& i) {
    auto digit = [&] {
        return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));
    };
    double v = 0;
    bool anyDigit = false;
    for (; digit(); ++i, anyDigit = true)
        v = v * 10 + (text[i] - '0');
    if (i < text.size() && text[i] == '.') {
        ++i;
        for (double scale = 0.1; digit(); ++i, scale /= 10, anyDigit = true)
            v += scale * (text[i] - '0');
    }
    if (!anyDigit)
        return std::nullopt;
    return v;
}

}  // namespace

std::optional<uint64_t> parseUnsigned(std::string_view t) {
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
        return parseBase(t.substr(2), 16);
    return parseBase(t, 10);
}

std::optional<uint64_t> parseDecimal(std::string_view t) {
    return parseBase(t, 10);
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
    double total = 0;
    bool any = false;
    size_t i = 0;
    while (true) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;
        if (i >= text.size())
            break;
        auto n = parseNumber(text, i);
        if (!n)
            return std::nullopt;
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;  // "5 min" like systemd
        size_t unitStart = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
            ++i;
        auto factor = unitFactor(text.substr(unitStart, i - unitStart));
        bool separated = i == text.size() || text[i] == ' ' || text[i] == '\t' ||
                         std::isdigit(static_cast<unsigned char>(text[i]));
        if (!factor || !separated)  // "1min30s" is fine, "1..5s" or "5s," are not
            return std::nullopt;
        total += *n * *factor;
        any = true;
    }
    // Beyond ~292 million years int64 milliseconds overflow; nobody means that.
    if (!any || total >= 9.2e18)
        return std::nullopt;
    return std::chrono::milliseconds(int64_t(std::llround(total)));
}

}  // namespace weft::config
