// What one kernel engine call did.
#pragma once

#include <string>
#include <vector>

namespace weft::kernel {

struct ApplyResult {
    std::vector<std::string> errors;  ///< human messages naming the object that failed
    unsigned changes = 0;             ///< objects created, changed or deleted (0: nothing to do)
    bool ok() const { return errors.empty(); }
};

}  // namespace weft::kernel
