#include "exemption_plugin.hpp"

WEFT_PLUGIN(weft::exempt::ExemptionPlugin)
