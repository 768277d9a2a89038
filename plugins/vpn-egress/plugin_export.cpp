#include "egress_plugin.hpp"

WEFT_PLUGIN(weft::egress::EgressPlugin)
