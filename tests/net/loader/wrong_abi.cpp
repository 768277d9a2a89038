// Claims ABI 99: must be refused with both numbers named.
#define PLUGIN_NAME "wrong_abi"
#include "minimal_plugin.hpp"

extern "C" BOOST_SYMBOL_EXPORT __attribute__((section("weft_abi"), used))
const uint32_t weft_abi_v99 = 99;
namespace wrong_abi_export {
std::unique_ptr<weft::Plugin> create() {
    return std::make_unique<loadertest::Minimal>();
}
}  // namespace wrong_abi_export
BOOST_DLL_ALIAS(wrong_abi_export::create, weft_create_plugin)
