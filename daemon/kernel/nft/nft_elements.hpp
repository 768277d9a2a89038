// Decoding set elements read from the kernel back into weft's typed elements.
#pragma once

#include <libnftnl/set.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "weft/state.hpp"

namespace weft::kernel::nft {

/// One element as the kernel lists it: key bytes, interval-end flag, data.
struct RawElem {
    std::vector<uint8_t> key;
    std::optional<std::vector<uint8_t>> keyEnd;  ///< concatenated intervals: inclusive end
    bool end = false;
    std::optional<weft::nft::ElementData> data;
};

/// Reads one kernel element of a set of type `def` (key, end flag, mark/address/verdict data).
RawElem rawElement(const weft::nft::Set& def, nftnl_set_elem* e);

/// The elements of `def` from the kernel's list: interval starts and ends become prefixes
/// (address sets) or port ranges; plain keys become typed keys.
weft::nft::ElementSet decodeElements(const weft::nft::Set& def, std::vector<RawElem> raw);

}  // namespace weft::kernel::nft
