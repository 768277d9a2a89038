// The engine's comparable view of a table: what it desires or what the kernel holds.
//
// Rules are identified by a hash of their typed content, stored in the rule's userdata, so
// comparing a chain is comparing hash lists, and adopting a table needs no bytecode decoding.
// Set elements are kept as the desired ElementSet itself, so a cached view shares its chunks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "weft/state.hpp"

namespace weft::kernel::nft {

using weft::nft::TableFamily;

/// Tag written into a weft table's comment: "weft:<owner>".
inline std::string ownerTag(const std::string& owner) {
    return "weft:" + owner;
}

struct ChainView {
    std::optional<weft::nft::BaseChain> base;
    std::vector<uint64_t> ruleHashes;
    bool operator==(const ChainView&) const = default;
};

struct TableView {
    TableFamily family = TableFamily::Inet;
    std::string name;
    std::map<std::string, weft::nft::Set> sets;
    std::map<std::string, ChainView> chains;
    std::set<std::string> counters;  ///< named counter objects
};

/// A kernel table header (from a table dump).
struct TableHeader {
    TableFamily family = TableFamily::Inet;
    std::string name;
    std::string comment;  ///< "weft:<owner>" for weft's tables
    uint32_t flags = 0;
    bool hasOwner = false;  ///< some socket owns it (NFT_TABLE_F_OWNER active)
};

uint16_t nfproto(TableFamily f);
std::string familyName(TableFamily f);
std::optional<TableFamily> familyFrom(uint16_t nfproto);

/// Rule userdata TLV type holding the rule hash (nft ignores types it does not know).
constexpr uint8_t kRuleHashUdata = 0x57;

/// Stable 64-bit identity of a rule (FNV-1a of its canonical text).
uint64_t ruleHash(const weft::nft::Rule& rule);

/// Throws std::invalid_argument naming the set and two elements when one of `added` overlaps
/// a neighbour in an interval set (the kernel would refuse it half-way through the batch).
void checkNoOverlap(const weft::nft::Set& set, const std::vector<weft::nft::Element>& added);
/// The same for every element of the set, in one pass.
void checkNoOverlap(const weft::nft::Set& set);
/// The same set definition (everything but the elements)?
bool sameDefinition(const weft::nft::Set& a, const weft::nft::Set& b);

/// The comparable view of a desired table.
TableView viewOf(const weft::nft::Table& t);

}  // namespace weft::kernel::nft
