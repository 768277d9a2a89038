#include "weave_plugin.hpp"

WEFT_PLUGIN(weft::weave::WeavePlugin)
