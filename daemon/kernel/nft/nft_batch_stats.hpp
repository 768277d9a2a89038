// What one nf_tables batch carried (for tests and benchmarks).
#pragma once

#include <cstddef>

namespace weft::kernel::nft {

struct BatchStats {
    size_t messages = 0;  ///< messages between batch begin and end (0: nothing was sent)
    size_t elements = 0;  ///< set elements added or deleted
};

}  // namespace weft::kernel::nft
