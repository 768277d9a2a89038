// Address and Prefix: parsing, printing, containment.
#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "weft/prefix.hpp"

namespace weft {

std::optional<Address> Address::parse(std::string_view text) {
    std::string s(text);
    Address a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
        a.family = Family::V4;
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
        a.family = Family::V6;
        return a;
    }
    return std::nullopt;
}

Address Address::fromBytes(Family family, const uint8_t* data) {
    Address a;
    a.family = family;
    std::memcpy(a.bytes.data(), data, family == Family::V4 ? 4 : 16);
    return a;
}

std::string Address::str() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == Family::V4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

namespace {

// Clears every bit at or after `length`.
void clearHostBits(Address& a, unsigned length) {
    for (unsigned i = 0; i < a.size(); ++i) {
        unsigned bitStart = i * 8;
        if (bitStart >= length) {
            a.bytes[i] = 0;
        } else if (bitStart + 8 > length) {
            a.bytes[i] &= uint8_t(0xff << (8 - (length - bitStart)));
        }
    }
}

std::optional<Prefix> parseWith(std::string_view text, bool loose) {
    auto slash = text.find('/');
    auto addr = Address::parse(text.substr(0, slash));
    if (!addr)
        return std::nullopt;
    unsigned len = addr->bits();
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3)
            return std::nullopt;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
        if (ec != std::errc() || p != digits.data() + digits.size() || len > addr->bits()) {
            return std::nullopt;
        }
    }
    Address canon = *addr;
    clearHostBits(canon, len);
    if (!loose && canon != *addr)
        return std::nullopt;
    return Prefix{canon, uint8_t(len)};
}

}  // namespace

std::optional<Prefix> Prefix::parse(std::string_view text) {
    return parseWith(text, false);
}
std::optional<Prefix> Prefix::parseLoose(std::string_view text) {
    return parseWith(text, true);
}

Prefix Prefix::host(const Address& a) {
    return Prefix{a, uint8_t(a.bits())};
}

Prefix Prefix::make(const Address& a, uint8_t length) {
    Address canon = a;
    clearHostBits(canon, length);
    return Prefix{canon, length};
}

std::string Prefix::str() const {
    return address.str() + "/" + std::to_string(length);
}

bool Prefix::contains(const Address& a) const {
    if (a.family != address.family)
        return false;
    Address masked = a;
    clearHostBits(masked, length);
    return masked == address;
}

bool Prefix::contains(const Prefix& p) const {
    return p.family() == family() && p.length >= length && contains(p.address);
}

Address Prefix::last() const {
    Address a = address;
    for (unsigned i = 0; i < a.size(); ++i) {
        unsigned bitStart = i * 8;
        if (bitStart >= length) {
            a.bytes[i] = 0xff;
        } else if (bitStart + 8 > length) {
            a.bytes[i] |= uint8_t(0xff >> (length - bitStart));
        }
    }
    return a;
}

}  // namespace weft
