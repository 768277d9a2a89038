#include "bus_value.hpp"

#include <stdexcept>

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

template <typename T>
static void write(sdbus::Message& msg, const BusValue& v, const std::string& s) {
    if (!std::holds_alternative<T>(v)) {
        throw std::invalid_argument("bus value does not match signature " + s);
    }
    msg << std::get<T>(v);
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
