// weft plugin SDK: IP addresses, prefixes and prefix-set algebra.
//
// Value types: comparable, hashable by ordering, printable. Used in config
// values, desired state (routes, rules, nftables interval sets) and in the
// named prefix sets that plugins publish to each other.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

enum class Family : uint8_t { V4 = 4, V6 = 6 };

/// An IPv4 or IPv6 address. IPv4 uses the first 4 bytes of `bytes`, the rest is zero.
struct Address {
    Family family = Family::V4;
    std::array<uint8_t, 16> bytes{};

    /// Parses "192.0.2.1" or "2001:db8::1". Returns nullopt on anything else.
    static std::optional<Address> parse(std::string_view text);
    /// Address from raw network-order bytes (4 or 16 of them).
    static Address fromBytes(Family family, const uint8_t* data);
    /// Canonical text form (inet_ntop).
    std::string str() const;
    /// 32 for IPv4, 128 for IPv6.
    unsigned bits() const { return family == Family::V4 ? 32 : 128; }
    /// Number of meaningful bytes: 4 or 16.
    unsigned size() const { return family == Family::V4 ? 4 : 16; }

    auto operator<=>(const Address&) const = default;
};

/// An IP prefix in canonical form: host bits below `length` are always zero.
struct Prefix {
    Address address;
    uint8_t length = 0;

    /// Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a host prefix).
    /// Host bits must be zero ("10.0.0.1/8" is rejected); nullopt on error.
    static std::optional<Prefix> parse(std::string_view text);
    /// Like parse, but host bits are cleared instead of rejected ("10.0.0.1/8" -> 10.0.0.0/8).
    static std::optional<Prefix> parseLoose(std::string_view text);
    /// The host prefix (/32 or /128) of an address.
    static Prefix host(const Address& a);
    /// Builds a prefix, clearing host bits.
    static Prefix make(const Address& a, uint8_t length);

    Family family() const { return address.family; }
    /// "10.0.0.0/8"; a host prefix prints with its length too ("192.0.2.1/32").
    std::string str() const;
    bool contains(const Address& a) const;
    bool contains(const Prefix& p) const;
    bool overlaps(const Prefix& p) const { return contains(p) || p.contains(*this); }
    /// First and last address covered (for nftables interval elements).
    Address first() const { return address; }
    Address last() const;

    auto operator<=>(const Prefix&) const = default;
};

/// A set of addresses of both families, kept as a minimal sorted list of
/// prefixes (adjacent and nested prefixes are merged). All operations return
/// canonical results, so two PrefixSets covering the same addresses compare equal.
class PrefixSet {
  public:
    PrefixSet() = default;
    PrefixSet(std::initializer_list<Prefix> prefixes);
    explicit PrefixSet(const std::vector<Prefix>& prefixes);

    /// Adds one prefix (re-normalizes: build large sets with the vector constructor instead).
    void add(const Prefix& p);
    void add(const PrefixSet& other);
    void remove(const Prefix& p);

    /// Set algebra, all returning a minimal CIDR cover of the result.
    PrefixSet unite(const PrefixSet& other) const;
    PrefixSet intersect(const PrefixSet& other) const;
    PrefixSet subtract(const PrefixSet& other) const;

    bool contains(const Address& a) const;
    bool contains(const Prefix& p) const;
    bool empty() const { return prefixes_.empty(); }
    size_t size() const { return prefixes_.size(); }

    /// The minimal prefix list, sorted (IPv4 first, then by address).
    const std::vector<Prefix>& prefixes() const& { return prefixes_; }
    /// On a temporary set, the list by value (so `f().prefixes()` never dangles).
    std::vector<Prefix> prefixes() && { return std::move(prefixes_); }
    /// Only the prefixes of one family.
    std::vector<Prefix> prefixes(Family f) const;

    bool operator==(const PrefixSet&) const = default;

  private:
    void normalize();
    std::vector<Prefix> prefixes_;
};

}  // namespace weft
