#include "nft_concat.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "nft_messages.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;

namespace {

constexpr unsigned kTypeBits = 6;  // nft's TYPE_BITS

uint32_t padded(DataType t) {
    return (typeLen(t) + 3) / 4 * 4;
}

std::string partText(const KeyPart& p) {
    if (auto* x = std::get_if<Prefix>(&p))
        return x->length == x->address.bits() ? x->address.str() : x->str();
    if (auto* r = std::get_if<PortRange>(&p))
        return r->first == r->last ? std::to_string(r->first) : r->str();
    if (auto* u = std::get_if<uint32_t>(&p))
        return std::to_string(*u);
    return "\"" + std::get<std::string>(p) + "\"";
}

[[noreturn]] void bad(const Concat& key, size_t i, const std::string& why) {
    throw std::invalid_argument("element " + concatText(key) + ": part " + std::to_string(i + 1) +
                                " " + why);
}

void putPart(std::vector<uint8_t>& out, DataType t, const Concat& key, size_t i, bool end,
             bool interval) {
    const KeyPart& p = key.parts[i];
    size_t at = out.size();
    out.resize(at + padded(t), 0);
    uint8_t* b = out.data() + at;
    switch (t) {
        case DataType::Ipv4Addr:
        case DataType::Ipv6Addr: {
            auto* x = std::get_if<Prefix>(&p);
            Family f = t == DataType::Ipv4Addr ? Family::V4 : Family::V6;
            if (!x || x->family() != f)
                bad(key, i,
                    std::string("is not an ") + (f == Family::V4 ? "IPv4" : "IPv6") + " address");
            if (!interval && x->length != x->address.bits())
                bad(key, i, "is a prefix, which needs an interval set");
            Address a = end ? x->last() : x->first();
            std::memcpy(b, a.bytes.data(), a.size());
            return;
        }
        case DataType::InetService: {
            auto* r = std::get_if<PortRange>(&p);
            if (!r)
                bad(key, i, "is not a port");
            if (!interval && r->first != r->last)
                bad(key, i, "is a port range, which needs an interval set");
            uint16_t v = htons(end ? r->last : r->first);
            std::memcpy(b, &v, 2);
            return;
        }
        case DataType::InetProto:
        case DataType::Mark: {
            auto* u = std::get_if<uint32_t>(&p);
            if (!u)
                bad(key, i, "is not a number");
            if (t == DataType::InetProto) {
                if (*u > 255)
                    bad(key, i, "is not a protocol number (0-255)");
                b[0] = uint8_t(*u);
            } else {
                std::memcpy(b, u, 4);  // marks are host order, as nft stores them
            }
            return;
        }
        case DataType::IfName: {
            auto* s = std::get_if<std::string>(&p);
            if (!s || s->empty() || s->size() >= IFNAMSIZ)
                bad(key, i, "is not an interface name of 1 to 15 characters");
            std::memcpy(b, s->data(), s->size());
            return;
        }
        case DataType::Verdict:
            break;
    }
    bad(key, i, "has a type that cannot be concatenated");
}

Address addressAt(DataType t, const uint8_t* b) {
    return Address::fromBytes(t == DataType::Ipv4Addr ? Family::V4 : Family::V6, b);
}

// The prefix [first, last] is, or the largest prefix starting at `first` inside it (weft writes
// only prefixes; a range made by hand is read as its first prefix).
Prefix prefixOf(const Address& first, const Address& last) {
    uint8_t len = uint8_t(first.bits());
    while (len > 0) {
        Prefix wider = Prefix::make(first, uint8_t(len - 1));
        if (wider.first() != first || wider.last() > last)
            break;
        --len;
    }
    return Prefix::make(first, len);
}

}  // namespace

uint32_t concatTypeId(const std::vector<DataType>& types) {
    uint32_t id = 0;
    for (auto t : types)
        id = (id << kTypeBits) | typeId(t);
    return id;
}

std::vector<DataType> concatTypesFrom(uint32_t id) {
    std::vector<DataType> out;
    const DataType all[] = {DataType::Ipv4Addr,  DataType::Ipv6Addr, DataType::InetService,
                            DataType::InetProto, DataType::Mark,     DataType::IfName};
    while (id) {
        uint32_t one = id & ((1u << kTypeBits) - 1);
        auto t = std::find_if(std::begin(all), std::end(all),
                              [&](DataType d) { return typeId(d) == one; });
        if (t == std::end(all))
            return {};
        out.insert(out.begin(), *t);
        id >>= kTypeBits;
    }
    if (out.size() < 2)
        return {};
    return out;
}

uint32_t concatKeyLen(const std::vector<DataType>& types) {
    uint32_t n = 0;
    for (auto t : types)
        n += padded(t);
    return n;
}

std::vector<uint8_t> concatBytes(const std::vector<DataType>& types, const Concat& key, bool end,
                                 bool interval) {
    if (key.parts.size() != types.size()) {
        throw std::invalid_argument("element " + concatText(key) + " has " +
                                    std::to_string(key.parts.size()) +
                                    " parts; the set's type has " + std::to_string(types.size()));
    }
    std::vector<uint8_t> out;
    out.reserve(concatKeyLen(types));
    for (size_t i = 0; i < types.size(); ++i)
        putPart(out, types[i], key, i, end, interval);
    return out;
}

namespace {

// One part read back: `s` its start bytes, `e` its inclusive end (the same for plain keys).
KeyPart partFrom(DataType t, const uint8_t* s, const uint8_t* e) {
    switch (t) {
        case DataType::Ipv4Addr:
        case DataType::Ipv6Addr:
            return prefixOf(addressAt(t, s), addressAt(t, e));
        case DataType::InetService: {
            uint16_t a, z;
            std::memcpy(&a, s, 2);
            std::memcpy(&z, e, 2);
            return PortRange{ntohs(a), ntohs(z)};
        }
        case DataType::InetProto:
            return uint32_t(s[0]);
        case DataType::IfName:
            return std::string(reinterpret_cast<const char*>(s),
                               strnlen(reinterpret_cast<const char*>(s), IFNAMSIZ));
        case DataType::Mark:
        case DataType::Verdict:
            break;
    }
    uint32_t v;
    std::memcpy(&v, s, 4);
    return v;
}

}  // namespace

Concat concatFrom(const std::vector<DataType>& types, const std::vector<uint8_t>& start,
                  const std::vector<uint8_t>* end) {
    Concat k;
    k.parts.reserve(types.size());
    size_t at = 0;
    for (auto t : types) {
        if (at + padded(t) > start.size() || (end && at + padded(t) > end->size()))
            break;  // a short key from the kernel: keep what is complete
        const uint8_t* s = start.data() + at;
        k.parts.emplace_back(partFrom(t, s, end ? end->data() + at : s));
        at += padded(t);
    }
    return k;
}

std::string concatText(const Concat& key) {
    std::string s;
    for (auto& p : key.parts)
        s += (s.empty() ? "" : " . ") + partText(p);
    return s;
}

}  // namespace weft::kernel::nft
