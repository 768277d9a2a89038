// weft plugin SDK: configuration schema and parsed, typed configuration.
//
// A plugin declares its schema as data (like networkd's gperf table: one row
// per Section.Key). The core finds the files, parses INI with drop-ins,
// validates every value against the schema and hands the plugin a Config of
// typed values. Plugins never parse INI themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "weft/prefix.hpp"

namespace weft {

/// Where a value came from, for error messages ("file:line").
struct Location {
    std::string file;
    unsigned line = 0;
    std::string str() const { return file + ":" + std::to_string(line); }
};

/// One configuration error: "file:line: [Section] Key: reason".
struct ConfigError {
    Location where;
    std::string section;  ///< as written in the header, e.g. "Peer node-b"
    std::string key;      ///< empty for errors about a whole section or line
    std::string reason;
    std::string str() const;
};

/// Thrown by the config layer and by Plugin::validate; carries every error found.
class ConfigException : public std::runtime_error {
  public:
    explicit ConfigException(std::vector<ConfigError> errors);
    const std::vector<ConfigError>& errors() const { return errors_; }

  private:
    std::vector<ConfigError> errors_;
};

/// Value types a key can have. Each parses from text and is checked by the core.
enum class ValueType {
    String,       ///< any text
    Name,         ///< identifier: [A-Za-z0-9_.-]+, e.g. an interface or plugin name
    Bool,         ///< yes/no/true/false/on/off/1/0
    Int,          ///< decimal or 0x hex integer within [min, max]
    Prefix,       ///< IP prefix or bare address ("10.0.0.0/8", "2001:db8::1")
    PrefixOrSet,  ///< a Prefix, or "@plugin/set" naming a published prefix set
    Address,      ///< IP address
    Port,         ///< 1-65535
    PortRange,    ///< "443" or "2379-2380"
    Mark,         ///< fwmark "0x20" (mask all ones) or "0x20/0x60"; value must lie within mask
    Duration,     ///< "25s", "1min 30s", "500ms", "2h"; bare number means seconds
    Path,         ///< absolute file path
    Endpoint,     ///< "host:port" or "[v6]:port"; host an IP address
    Enum,         ///< one of KeySpec::choices
    Key,          ///< base64 of 32 bytes (WireGuard public/preshared key)
};

/// One row of a schema: a key, its type and constraints.
struct KeySpec {
    std::string name;
    ValueType type = ValueType::String;
    bool repeated = false;  ///< a list: repeated keys append, "Key=" resets
    bool required = false;  ///< must be set (for named sections: in every instance)
    std::optional<std::string> defaultValue;  ///< text, parsed like a user value
    int64_t min = 0, max = INT64_MAX;         ///< for Int
    std::vector<std::string> choices;         ///< for Enum
    std::string help;                         ///< one line, for docs and `weftctl`
};

/// One section of a schema. `named` sections repeat and carry a name: "[Peer node-b]".
struct SectionSpec {
    std::string name;
    bool named = false;
    std::vector<KeySpec> keys;
    std::string help;
};

struct Schema {
    Schema() = default;
    /// `Schema{{sectionA, sectionB}}`, as plugins write it (no data directory).
    Schema(std::vector<SectionSpec> s) : sections(std::move(s)) {}  // NOLINT: implicit by design
    std::vector<SectionSpec> sections;
    /// A directory of data files beside the config ("weave-policy.d"), or empty. The core
    /// reads "<dir>/*<ext>" for each of `dataExtensions` from every config directory, as it
    /// reads drop-ins (a file name in a higher directory wins, a symlink to /dev/null masks
    /// it; regular files of at most 16 MiB, valid UTF-8) and hands them over in
    /// Config::dataFiles, sorted by file name. The plugin parses them in validate().
    std::string dataDirectory;
    std::vector<std::string> dataExtensions;  ///< ".yaml", ".json", ...
};

/// Small builders for schema rows, so a schema reads as a table:
///   range(key("Table", ValueType::Int, "180", "routing table"), 1, 4294967295)
namespace schema {
inline KeySpec key(std::string name, ValueType type, std::optional<std::string> def,
                   std::string help) {
    KeySpec k;
    k.name = std::move(name);
    k.type = type;
    k.defaultValue = std::move(def);
    k.help = std::move(help);
    return k;
}
inline KeySpec required(KeySpec k) {
    k.required = true;
    return k;
}
inline KeySpec repeated(KeySpec k) {
    k.repeated = true;
    return k;
}
inline KeySpec range(KeySpec k, int64_t min, int64_t max) {
    k.min = min;
    k.max = max;
    return k;
}
inline KeySpec choices(KeySpec k, std::vector<std::string> c) {
    k.choices = std::move(c);
    return k;
}
}  // namespace schema

/// A port range; a single port has first == last.
struct PortRange {
    uint16_t first = 0, last = 0;
    auto operator<=>(const PortRange&) const = default;
    std::string str() const;
};

/// A firewall mark under a mask. Only the bits in `mask` are matched or written.
struct Mark {
    uint32_t value = 0, mask = 0xffffffff;
    auto operator<=>(const Mark&) const = default;
    std::string str() const;  ///< "0x51820/0xffffffff"
};

/// An endpoint "host:port".
struct Endpoint {
    weft::Address address;
    uint16_t port = 0;
    auto operator<=>(const Endpoint&) const = default;
    std::string str() const;  ///< "192.0.2.1:51820" or "[2001:db8::1]:51820"
    static std::optional<Endpoint> parse(std::string_view text);
};

/// A prefix or a reference to a named prefix set ("@wireguard-mesh/targets").
struct PrefixOrSet {
    std::optional<weft::Prefix> prefix;
    std::string setName;  ///< without the '@', when a set reference
    auto operator<=>(const PrefixOrSet&) const = default;
};

/// A typed value, as parsed by the core according to the KeySpec.
using Value = std::variant<std::string, bool, int64_t, weft::Prefix, PrefixOrSet, weft::Address,
                           PortRange, Mark, std::chrono::milliseconds, Endpoint>;

/// One assignment after parsing: where it came from and the typed value.
struct Setting {
    Location where;
    std::string text;  ///< the raw text after '='
    Value value;
};

/// One section instance after drop-ins are merged.
class Section {
  public:
    std::string name;  ///< "Peer"
    std::string id;    ///< "node-b" for named sections, empty otherwise
    Location where;    ///< where the section was first opened

    /// True if the key has at least one value (explicitly set or defaulted).
    bool has(const std::string& key) const;
    /// The last value of a key (a single-valued key), or nullopt.
    const Setting* find(const std::string& key) const;
    /// All values of a repeated key, in order (after resets).
    std::vector<const Setting*> all(const std::string& key) const;

    /// Typed accessors; they throw std::logic_error if the schema type differs.
    std::string str(const std::string& key, const std::string& fallback = {}) const;
    bool boolean(const std::string& key, bool fallback = false) const;
    int64_t integer(const std::string& key, int64_t fallback = 0) const;
    std::chrono::milliseconds duration(const std::string& key,
                                       std::chrono::milliseconds fallback = {}) const;
    std::optional<Mark> mark(const std::string& key) const;
    std::vector<std::string> strings(const std::string& key) const;
    std::vector<weft::Prefix> prefixes(const std::string& key) const;
    std::vector<PrefixOrSet> prefixOrSets(const std::string& key) const;
    std::vector<PortRange> portRanges(const std::string& key) const;
    std::vector<Endpoint> endpoints(const std::string& key) const;

    /// Builds a ConfigError located at this key's (last) setting, or at the section.
    ConfigError error(const std::string& key, const std::string& reason) const;

    std::vector<std::pair<std::string, std::vector<Setting>>> values;  ///< key -> settings
};

/// A whole parsed file set (main file plus drop-ins) for one component.
/// One data file of Schema::dataDirectory.
struct DataFile {
    std::string path;  ///< as found ("/etc/weft/weave-policy.d/web.yaml")
    std::string text;
    bool operator==(const DataFile&) const = default;
};

class Config {
  public:
    std::vector<std::string> files;   ///< files read, in order (for Describe)
    std::vector<Section> sections;    ///< in order of first appearance
    std::vector<DataFile> dataFiles;  ///< Schema::dataDirectory's files, by file name

    /// The single unnamed section of that name, or nullptr.
    const Section* section(const std::string& name) const;
    /// All named instances of a section ("Peer"), in order of appearance.
    std::vector<const Section*> named(const std::string& name) const;
};

}  // namespace weft
