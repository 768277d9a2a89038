#define PLUGIN_NAME "throws"
#include "minimal_plugin.hpp"

namespace loadertest {
struct Throws : Minimal {
    Throws() { throw std::runtime_error("constructor exploded"); }
};
}  // namespace loadertest
WEFT_PLUGIN(loadertest::Throws)
