// InterfaceAddress: an address with its prefix length, host bits kept.
#include "weft/state.hpp"

namespace weft {

std::string InterfaceAddress::str() const {
    return address.str() + "/" + std::to_string(prefixLength);
}

std::optional<InterfaceAddress> InterfaceAddress::parse(std::string_view text) {
    // Prefix validates the address and the length; the interface address keeps its host bits.
    auto prefix = Prefix::parseLoose(text);
    auto addr = Address::parse(text.substr(0, text.find('/')));
    if (!prefix || !addr)
        return std::nullopt;
    return InterfaceAddress{*addr, prefix->length};
}

}  // namespace weft
