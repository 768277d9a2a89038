// Text that goes onto D-Bus: valid UTF-8 and of bounded size.
//
// sd-bus refuses to append a string that is not UTF-8 (the whole reply is then lost: the
// caller times out) and dbus-daemon disconnects a client whose message passes its limit
// (32 MiB on the system bus). Everything weftd puts on the bus that can hold text from a
// config file, a plugin or the kernel passes through here. Header-only, so the config
// layer and the bus code share it without a new dependency.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

/// How many errors one report (a D-Bus error, LastError, a log entry) lists; the rest are
/// counted ("... and N more errors").
constexpr size_t kMaxReportedErrors = 100;
/// The longest error text or property string weftd puts on the bus.
constexpr size_t kMaxBusText = 64 * 1024;

/// Length of the character starting at s[i] when it is one D-Bus accepts (systemd's rules:
/// shortest form, no surrogates, no noncharacters, at most U+10FFFF, no NUL); 0 otherwise.
inline size_t utf8CharLength(std::string_view s, size_t i) {
    auto at = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
    uint8_t b = at(i);
    if (b == 0)
        return 0;
    if (b < 0x80)
        return 1;
    size_t n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    if (n == 0 || b >= 0xf8 || i + n > s.size())
        return 0;
    uint32_t c = b & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
        if ((at(i + k) & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (at(i + k) & 0x3f);
    }
    static constexpr uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
    bool invalid = c < kShortest[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
                   (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe;
    return invalid ? 0 : n;
}

/// True when every byte of `s` belongs to a character D-Bus accepts.
inline bool isValidUtf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        size_t n = utf8CharLength(s, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/// `s` with every byte that is not part of a valid character written as "\xNN".
inline std::string escapeInvalidUtf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        if (size_t n = utf8CharLength(s, i)) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        static constexpr char kHex[] = "0123456789abcdef";
        auto b = static_cast<uint8_t>(s[i++]);
        out += "\\x";
        out += kHex[b >> 4];
        out += kHex[b & 0xf];
    }
    return out;
}

/// `s` made fit for the bus: escaped (see escapeInvalidUtf8) and, when longer than
/// `maxBytes`, cut at a character boundary with a note of how much was left out.
inline std::string busText(std::string_view s, size_t maxBytes = kMaxBusText) {
    std::string out = isValidUtf8(s) ? std::string(s) : escapeInvalidUtf8(s);
    if (out.size() <= maxBytes)
        return out;
    size_t cut = maxBytes;
    while (cut > 0 && (static_cast<uint8_t>(out[cut]) & 0xc0) == 0x80)
        --cut;  // never split a character
    size_t rest = out.size() - cut;
    out.resize(cut);
    return out + " [... " + std::to_string(rest) + " more bytes]";
}

/// The first kMaxReportedErrors of `items` joined by `separator`, then "... and N more".
inline std::string joinLimited(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (size_t i = 0; i < items.size() && i < kMaxReportedErrors; ++i)
        out += (i ? std::string(separator) : std::string()) + items[i];
    if (items.size() > kMaxReportedErrors) {
        out += std::string(separator) + "... and " +
               std::to_string(items.size() - kMaxReportedErrors) + " more";
    }
    return out;
}

}  // namespace weft
