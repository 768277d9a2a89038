#include "bus_value.hpp"

#include <algorithm>
#include <stdexcept>

#include "../bus_text.hpp"

namespace weft {

using StringMap = std::map<std::string, std::string>;
using MapList = std::vector<StringMap>;

bool isBusValueSignature(const std::string& s) {
    return s == "b" || s == "x" || s == "u" || s == "t" || s == "s" || s == "as" || s == "a{ss}" ||
           s == "aa{ss}";
}

template <typename T>
static T read(sdbus::Message& msg) {
    T v{};
    msg >> v;
    return v;
}

BusValue readBusValue(sdbus::Message& msg, const std::string& s) {
    if (s == "b")
        return read<bool>(msg);
    if (s == "x")
        return read<int64_t>(msg);
    if (s == "u")
        return read<uint32_t>(msg);
    if (s == "t")
        return read<uint64_t>(msg);
    if (s == "s")
        return read<std::string>(msg);
    if (s == "as")
        return read<std::vector<std::string>>(msg);
    if (s == "a{ss}")
        return read<StringMap>(msg);
    if (s == "aa{ss}")
        return read<MapList>(msg);
    throw sdbus::Error("org.weft.Weft1.Error.InvalidArgument", "unsupported signature " + s);
}

// A plugin's strings may hold bytes that are not UTF-8 (from a kernel name, say): sd-bus
// would refuse the whole message, so such bytes go out escaped. Valid text is not copied.
static const std::string& utf8(const std::string& s, std::string& scratch) {
    if (isValidUtf8(s))
        return s;
    scratch = escapeInvalidUtf8(s);
    return scratch;
}

static std::string utf8(const std::string& s) {
    std::string scratch;
    return utf8(s, scratch);
}

static void append(sdbus::Message& msg, const std::string& v) {
    std::string scratch;
    msg << utf8(v, scratch);
}

static void append(sdbus::Message& msg, const std::vector<std::string>& v) {
    if (std::all_of(v.begin(), v.end(), [](auto& s) { return isValidUtf8(s); })) {
        msg << v;
        return;
    }
    std::vector<std::string> out;
    for (auto& s : v)
        out.push_back(utf8(s));
    msg << out;
}

static StringMap escaped(const StringMap& m) {
    StringMap out;
    for (auto& [k, v] : m)
        out.emplace(utf8(k), utf8(v));
    return out;
}

static bool valid(const StringMap& m) {
    return std::all_of(m.begin(), m.end(),
                       [](auto& kv) { return isValidUtf8(kv.first) && isValidUtf8(kv.second); });
}

static void append(sdbus::Message& msg, const StringMap& v) {
    if (valid(v)) {
        msg << v;
        return;
    }
    msg << escaped(v);
}

static void append(sdbus::Message& msg, const MapList& v) {
    if (std::all_of(v.begin(), v.end(), [](auto& m) { return valid(m); })) {
        msg << v;
        return;
    }
    MapList out;
    for (auto& m : v)
        out.push_back(escaped(m));
    msg << out;
}

template <typename T>
static void append(sdbus::Message& msg, const T& v) {
    msg << v;
}

template <typename T>
static void write(sdbus::Message& msg, const BusValue& v, const std::string& s) {
    if (!std::holds_alternative<T>(v)) {
        throw std::invalid_argument("bus value does not match signature " + s);
    }
    append(msg, std::get<T>(v));
}

void writeBusValue(sdbus::Message& msg, const std::string& s, const BusValue& v) {
    if (s == "b")
        return write<bool>(msg, v, s);
    if (s == "x")
        return write<int64_t>(msg, v, s);
    if (s == "u")
        return write<uint32_t>(msg, v, s);
    if (s == "t")
        return write<uint64_t>(msg, v, s);
    if (s == "s")
        return write<std::string>(msg, v, s);
    if (s == "as")
        return write<std::vector<std::string>>(msg, v, s);
    if (s == "a{ss}")
        return write<StringMap>(msg, v, s);
    if (s == "aa{ss}")
        return write<MapList>(msg, v, s);
    throw std::invalid_argument("unsupported signature " + s);
}

}  // namespace weft
