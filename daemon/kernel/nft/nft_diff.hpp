// The batch that takes one table from what the kernel holds to what is desired.
#pragma once

#include <vector>

#include "nft_messages.hpp"
#include "nft_model.hpp"

namespace weft::kernel::nft {

/// Messages creating `t` from nothing.
std::vector<BatchMessage> createTable(const Target& target, const std::string& owner,
                                      uint32_t flags, const TableView& want,
                                      const weft::nft::Table& t, uint32_t& setId);

/// Messages converging `have` to `want` (the view of `t`); empty when nothing differs.
/// `adoptFlags` != 0 re-sends the table with these flags (taking ownership of an orphaned
/// table). With `only`, the caller vouches that chains and sets not named there are equal in
/// `have` and `want`, and only the named ones are compared (counters always are).
std::vector<BatchMessage> diffTable(const Target& target, const std::string& owner,
                                    uint32_t adoptFlags, const TableView& have,
                                    const TableView& want, const weft::nft::Table& t,
                                    uint32_t& setId, const ViewChanges* only = nullptr);

}  // namespace weft::kernel::nft
