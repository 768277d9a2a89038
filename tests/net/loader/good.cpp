#define PLUGIN_NAME "good"
#include "minimal_plugin.hpp"
WEFT_PLUGIN(loadertest::Minimal)
