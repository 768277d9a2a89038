#include "workload.hpp"

namespace weft::bench {

Prefix nth(unsigned i, bool interval) {
    unsigned n = i * 2;
    uint8_t b[4] = {uint8_t(10 + (n >> 16)), uint8_t(n >> 8), uint8_t(n),
                    uint8_t(interval ? 0 : 1)};
    auto a = Address::fromBytes(Family::V4, b);
    return interval ? Prefix::make(a, 24) : Prefix::host(a);
}

nft::Table steeringTable(const std::string& name, unsigned size, bool interval) {
    nft::Set s{"dst4", nft::DataType::Ipv4Addr, {}, interval};
    for (unsigned i = 0; i < size; ++i)
        s.elements.insert({nth(i, interval), {}});
    nft::Chain c{"output", nft::BaseChain{nft::ChainType::Route, nft::Hook::Output, -150}, {}};
    c.rules.push_back(nft::Rule{}
                          .family(Family::V4)
                          .daddrIn(Family::V4, "dst4")
                          .setMark(Mark{0x100, 0x100})
                          .counter());
    return nft::Table{nft::TableFamily::Inet, name, {s}, {c}};
}

}  // namespace weft::bench
