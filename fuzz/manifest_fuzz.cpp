// libFuzzer target: weave-policy's manifest parser. Any input must parse without crashing,
// hanging or leaking, and every object it accepts must survive toManifest -> parse unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = weft::weave::parseManifest(text, "fuzz");
    for (const auto& object : parsed.objects) {
        auto again = weft::weave::parseManifest(weft::weave::toManifest(object).dump(), "again");
        if (!again.errors.empty() || again.objects.size() != 1 || !(again.objects[0] == object))
            std::abort();  // an accepted object that does not round-trip
    }
    return 0;
}
