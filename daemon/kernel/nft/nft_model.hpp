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

/// Names of the chains and sets that one DesiredView::update() added, removed or changed.
struct ViewChanges {
    std::set<std::string> chains, sets;
};

/// The view of one table's desired state, kept across applies so that an apply costs what
/// changed, not the table's size. ruleHash() is a pure function of the typed rule, so a rule
/// equal to the one at the same position last time keeps its hash; comparing typed rules costs
/// far less than building their text. Chains and sets are compared by position while the
/// table lists the same names in the same order (the usual case: a plugin rebuilds its table
/// the same way), by name otherwise. The view says nothing about the kernel: it stays valid
/// across a failed batch or an invalidate().
class DesiredView {
  public:
    /// Brings the view to viewOf(t): hashes only rules that differ from the last update's, and
    /// records in changes() what differs from it (everything, the first time).
    void update(const weft::nft::Table& t);
    const TableView& view() const { return view_; }
    const ViewChanges& changes() const { return changes_; }
    /// Counts the updates: "the view as of update N" names a state of it.
    uint64_t generation() const { return generation_; }

  private:
    struct Chain {
        std::string name;
        std::optional<weft::nft::BaseChain> base;
        std::vector<weft::nft::Rule> rules;  ///< copies of the rules last hashed
        std::vector<uint64_t> hashes;        ///< theirs, position by position
    };
    void updateChains(const std::vector<weft::nft::Chain>& chains);
    void updateSets(const std::vector<weft::nft::Set>& sets);

    TableView view_;
    std::vector<Chain> chains_;         ///< the last desired chains, in their order
    std::vector<weft::nft::Set> sets_;  ///< the last desired sets (sharing element chunks)
    ViewChanges changes_;
    uint64_t generation_ = 0;
};

}  // namespace weft::kernel::nft
