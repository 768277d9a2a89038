// A factory but no ABI marker: must be refused before it is loaded.
#define PLUGIN_NAME "no_abi"
#include "minimal_plugin.hpp"

namespace no_abi_export {
std::unique_ptr<weft::Plugin> create() {
    return std::make_unique<loadertest::Minimal>();
}
}  // namespace no_abi_export
BOOST_DLL_ALIAS(no_abi_export::create, weft_create_plugin)
