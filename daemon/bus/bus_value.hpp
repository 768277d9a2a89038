// Moves weft::BusValue (the SDK's D-Bus value type) in and out of sdbus-c++ messages.
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <string>

#include "weft/plugin.hpp"

namespace weft {

/// True for the signatures BusValue can carry: b x u t s as a{ss} aa{ss}.
bool isBusValueSignature(const std::string& signature);
/// Reads one value of `signature`; throws sdbus::Error on a type mismatch.
BusValue readBusValue(sdbus::Message& msg, const std::string& signature);
/// Appends a value, converting it to `signature` (a mismatch throws std::invalid_argument).
void writeBusValue(sdbus::Message& msg, const std::string& signature, const BusValue& value);

}  // namespace weft
