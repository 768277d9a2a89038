// Concatenated set keys: nft's type ids, the kernel's byte layout (each field padded to
// 32 bits) and the reverse, for element messages and for reading elements back.
#pragma once

#include <cstdint>
#include <vector>

#include "weft/state.hpp"

namespace weft::kernel::nft {

/// nft's id of a concatenated type: each field's type id shifted in, 6 bits a field.
uint32_t concatTypeId(const std::vector<weft::nft::DataType>& types);
/// The field types of a concatenated type id; empty when `id` is one type (or unknown).
std::vector<weft::nft::DataType> concatTypesFrom(uint32_t id);
/// Key length in bytes: each field rounded up to 4.
uint32_t concatKeyLen(const std::vector<weft::nft::DataType>& types);

/// Key bytes of a concatenated element: the start (or, with `end`, the inclusive end) of each
/// part's range. Throws std::invalid_argument naming the element when a part does not fit its
/// type, or (unless `interval`) is a range.
std::vector<uint8_t> concatBytes(const std::vector<weft::nft::DataType>& types,
                                 const weft::nft::Concat& key, bool end, bool interval);

/// A concatenated key from the kernel's start (and, for intervals, inclusive end) bytes.
weft::nft::Concat concatFrom(const std::vector<weft::nft::DataType>& types,
                             const std::vector<uint8_t>& start, const std::vector<uint8_t>* end);

/// "10.0.0.1 . 6 . 80", for messages.
std::string concatText(const weft::nft::Concat& key);

}  // namespace weft::kernel::nft
