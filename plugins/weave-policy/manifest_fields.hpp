// weave-policy: typed access to one object's fields, collecting named errors.
//
// The object readers never index a Doc blindly: every field goes through a FieldReader that
// checks its JSON type and records an issue ("spec.ingress[0].ports[1].port: must be ...")
// instead of throwing, so a string where a map belongs is an error like any other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest_text.hpp"

namespace weft::weave {

/// One problem of one object.
struct FieldIssue {
    std::string field;  ///< "spec.podSelector.matchLabels[app]"
    std::string message;
};

class FieldReader {
  public:
    void fail(std::string field, std::string message);
    const std::vector<FieldIssue>& issues() const { return issues_; }
    bool ok() const { return issues_.empty(); }

    /// Member `key` of `object`; nullptr when `object` is not a map (its type was already
    /// checked by whoever read it) or when the member is absent or null.
    static const Doc* member(const Doc* object, std::string_view key);

    /// `value` when it is a map; nullptr when it is absent (nullptr) or null; nullptr and an
    /// issue when it is anything else.
    const Doc* map(const Doc* value, const std::string& field);
    const Doc* list(const Doc* value, const std::string& field);
    /// `value` when it is a map, else an issue (null too): for list items and required maps.
    const Doc* item(const Doc& value, const std::string& field);
    /// The value, nullopt when absent or null, nullopt and an issue on a wrong type.
    std::optional<std::string> string(const Doc* value, const std::string& field);
    /// Like string(), with a "required value" issue when absent or empty.
    std::optional<std::string> requiredString(const Doc* value, const std::string& field);
    std::optional<int64_t> integer(const Doc* value, const std::string& field);
    std::optional<bool> boolean(const Doc* value, const std::string& field);
    /// An integer in [1, 65535]; an issue otherwise.
    std::optional<uint16_t> port(const Doc* value, const std::string& field);
    /// "TCP", "UDP" or "SCTP" (the default when absent) as a protocol number.
    std::optional<uint8_t> protocol(const Doc* value, const std::string& field);

    /// "must be a string, not a number" (with a hint for YAML's unquoted numbers and bools).
    void wrongType(const Doc& value, const char* wanted, const std::string& field);

  private:
    std::vector<FieldIssue> issues_;
};

/// "a.b": `key` under `base` ("" is the object itself).
std::string fieldPath(const std::string& base, std::string_view key);
/// "a.b[3]"
std::string fieldIndex(const std::string& base, size_t index);
/// "metadata.labels[app]": an entry of a map with free-form keys (printable, truncated).
std::string fieldKey(const std::string& base, std::string_view key);

/// "a string", "a number", ...: a value's JSON type for messages.
const char* typeName(const Doc& value);

}  // namespace weft::weave
