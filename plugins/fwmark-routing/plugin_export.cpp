#include "routing_plugin.hpp"

WEFT_PLUGIN(weft::steer::RoutingPlugin)
