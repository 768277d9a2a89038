// Builders of nf_tables batch messages for weft's desired objects.
#pragma once

#include <string>
#include <vector>

#include "nft_model.hpp"
#include "nft_socket.hpp"

namespace weft::kernel::nft {

#ifndef NFT_TABLE_F_PERSIST
constexpr uint32_t kTablePersist = 0x4;  // Linux 6.9: table survives its owner's socket
#else
constexpr uint32_t kTablePersist = NFT_TABLE_F_PERSIST;
#endif

struct Target {
    TableFamily family;
    std::string table;
};

BatchMessage newTable(const Target& t, const std::string& owner, uint32_t flags);
BatchMessage delTable(const Target& t);
BatchMessage newChain(const Target& t, const std::string& name, const ChainView& c);
BatchMessage delChain(const Target& t, const std::string& name);
BatchMessage flushChain(const Target& t, const std::string& name);
BatchMessage newRule(const Target& t, const std::string& chain, const weft::nft::Rule& rule);
BatchMessage newSet(const Target& t, const weft::nft::Set& s, uint32_t id);
BatchMessage delSet(const Target& t, const std::string& name);
/// A named counter object (`counter NAME { }`), created with zero values.
BatchMessage newCounter(const Target& t, const std::string& name);
BatchMessage delCounter(const Target& t, const std::string& name);
/// Element add/delete messages, at most `perMessage` elements each: the element list is one
/// netlink attribute, whose length is 16 bits, so a message must stay under 64 KiB (an IPv6
/// interval element is two entries of ~48 bytes).
std::vector<BatchMessage> setElements(const Target& t, const weft::nft::Set& def,
                                      std::vector<weft::nft::Element> elements, bool add,
                                      size_t perMessage = 600);

/// nft's type id and length of a data type.
uint32_t typeId(weft::nft::DataType t);
uint32_t typeLen(weft::nft::DataType t);

}  // namespace weft::kernel::nft
