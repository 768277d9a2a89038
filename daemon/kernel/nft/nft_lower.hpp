// Lowering of desired tables before they are diffed: what the kernel cannot take as written
// becomes rules and chains it can (see MarkFromCt in weft/state.hpp).
#pragma once

#include "weft/state.hpp"

namespace weft::kernel::nft {

/// Prefix of the chains the core adds to a plugin's table; plugins may not use it.
inline constexpr const char* kCoreChainPrefix = "__weft_";

/// True when `t` holds a rule that lowerTable() rewrites.
bool needsLowering(const weft::nft::Table& t);

/// `t` with every MarkFromCt / CtMarkFromMark under a partial mask replaced by a jump to a
/// chain "__weft_mark_<rule hash>" holding the per-bit pattern and the rest of the rule, and
/// every HashMark under a partial mask by a HashVerdictMap whose map jumps to a chain per value
/// ("__weft_ctmark_<value>_<mask>") that sets it under the mask (see weft/state.hpp).
/// Throws std::invalid_argument (naming chain and rule, or map) for a plugin chain named
/// "__weft_...", for a `return` after such a statement, and for a map that cannot be rewritten.
weft::nft::Table lowerTable(const weft::nft::Table& t);

}  // namespace weft::kernel::nft
