// libFuzzer target: the config layer (INI reading, drop-in merging, schema validation) with a
// real plugin's schema. Any input must give a Config or a ConfigException, nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_loader.hpp"
#include "weave_settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const weft::Schema schema = weft::weave::weaveSchema();
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        weft::Config c = weft::config::parseText(text, "fuzz.conf", schema);
        (void)weft::weave::readSettings(c);
    } catch (const weft::ConfigException&) {
        // refused with errors: fine
    }
    return 0;
}
