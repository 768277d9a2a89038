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

/// Messages converging `have` to `want`; empty when nothing differs. `adoptFlags` != 0
/// re-sends the table with these flags (taking ownership of an orphaned table).
std::vector<BatchMessage> diffTable(const Target& target, const std::string& owner,
                                    uint32_t adoptFlags, const TableView& have,
                                    const TableView& want, const weft::nft::Table& t,
                                    uint32_t& setId);

}  // namespace weft::kernel::nft
