// Shared by the config layer's tests: a schema with every value type, and error capture.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config_loader.hpp"
#include "weft/config.hpp"

namespace weft::test {

inline KeySpec key(std::string name, ValueType type, std::optional<std::string> def = {},
                   bool repeated = false) {
    KeySpec k;
    k.name = std::move(name);
    k.type = type;
    k.repeated = repeated;
    k.defaultValue = std::move(def);
    return k;
}

inline KeySpec list(std::string name, ValueType type) {
    return key(std::move(name), type, {}, true);
}

/// [Main] has one key of every type; [Peer NAME] is named with a required key.
inline Schema testSchema() {
    KeySpec port = key("Port", ValueType::Int, "80");
    port.min = 1;
    port.max = 65535;
    KeySpec mode = key("Mode", ValueType::Enum, "fast");
    mode.choices = {"fast", "slow"};
    KeySpec publicKey = key("PublicKey", ValueType::Key);
    publicKey.required = true;
    SectionSpec main{"Main",
                     false,
                     {port, mode, key("Enabled", ValueType::Bool, "no"),
                      key("Wait", ValueType::Duration, "25s"), key("Mark", ValueType::Mark),
                      key("Name", ValueType::String), key("Interface", ValueType::Name),
                      key("State", ValueType::Path), key("Listen", ValueType::Port),
                      key("Gateway", ValueType::Address), key("At", ValueType::Endpoint),
                      list("Prefixes", ValueType::Prefix), list("Ports", ValueType::PortRange),
                      list("Sets", ValueType::PrefixOrSet), list("Notes", ValueType::String),
                      key("Local", ValueType::Prefix, "10.0.0.0/8 192.168.0.0/16", true)},
                     "main"};
    SectionSpec peer{
        "Peer",
        true,
        {publicKey, list("Endpoint", ValueType::Endpoint), list("AllowedIPs", ValueType::Prefix)},
        "peer"};
    return Schema{{main, peer}};
}

/// Every error message of parsing `texts` (empty when they parse).
inline std::vector<std::string> errorsOf(
    const std::vector<std::pair<std::string, std::string>>& texts,
    const Schema& schema = testSchema()) {
    std::vector<std::string> out;
    try {
        config::parseTexts(texts, schema);
    } catch (const ConfigException& e) {
        for (auto& err : e.errors())
            out.push_back(err.str());
    }
    return out;
}

inline std::vector<std::string> errorsOf(const std::string& text,
                                         const Schema& schema = testSchema()) {
    return errorsOf({{"t.conf", text}}, schema);
}

/// A valid WireGuard public key.
inline const std::string kKey = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

}  // namespace weft::test
