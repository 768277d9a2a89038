// InterfaceAddress: an address with its prefix length, host bits kept.
#include <charconv>

#include "weft/state.hpp"

namespace weft {

std::string InterfaceAddress::str() const {
    return address.str() + "/" + std::to_string(prefixLength);
}

std::optional<InterfaceAddress> InterfaceAddress::parse(std::string_view text) {
    auto slash = text.find('/');
    auto addr = Address::parse(text.substr(0, slash));
    if (!addr)
        return std::nullopt;
    unsigned len = addr->bits();
    if (slash != std::string_view::npos) {
        auto d = text.substr(slash + 1);
        auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), len);
        if (d.empty() || ec != std::errc() || p != d.data() + d.size() || len > addr->bits()) {
            return std::nullopt;
        }
    }
    return InterfaceAddress{*addr, uint8_t(len)};
}

}  // namespace weft
