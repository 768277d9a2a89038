// weft plugin SDK: a small JSON value, for Describe output and weftctl.
//
// Objects keep insertion order, so output keys are stable.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace weft {

class Json {
  public:
    using Array = std::vector<Json>;
    using Object = std::vector<std::pair<std::string, Json>>;

    Json() = default;  ///< null
    Json(std::nullptr_t) {}
    Json(bool b) : v_(b) {}
    Json(int i) : v_(int64_t{i}) {}
    Json(unsigned i) : v_(int64_t{i}) {}
    Json(int64_t i) : v_(i) {}
    Json(uint64_t i) : v_(static_cast<int64_t>(i)) {}
    Json(double d) : v_(d) {}
    Json(const char* s) : v_(std::string(s)) {}
    Json(std::string s) : v_(std::move(s)) {}
    Json(Array a) : v_(std::move(a)) {}
    Json(Object o) : v_(std::move(o)) {}

    static Json array() { return Json(Array{}); }
    static Json object() { return Json(Object{}); }
    /// Parses RFC 8259 JSON; throws std::runtime_error with the offset on error.
    static Json parse(std::string_view text);

    bool isNull() const { return std::holds_alternative<std::nullptr_t>(v_); }
    bool isBool() const { return std::holds_alternative<bool>(v_); }
    bool isInt() const { return std::holds_alternative<int64_t>(v_); }
    bool isNumber() const { return isInt() || std::holds_alternative<double>(v_); }
    bool isString() const { return std::holds_alternative<std::string>(v_); }
    bool isArray() const { return std::holds_alternative<Array>(v_); }
    bool isObject() const { return std::holds_alternative<Object>(v_); }

    bool asBool() const { return std::get<bool>(v_); }
    int64_t asInt() const;  ///< also accepts a double with an integral value
    double asDouble() const;
    const std::string& asString() const { return std::get<std::string>(v_); }
    const Array& asArray() const& { return std::get<Array>(v_); }
    Array& asArray() & { return std::get<Array>(v_); }
    /// On a temporary, by value (so `Json::parse(t).asArray()` never dangles).
    Array asArray() && { return std::get<Array>(std::move(v_)); }
    const Object& asObject() const& { return std::get<Object>(v_); }
    Object& asObject() & { return std::get<Object>(v_); }
    Object asObject() && { return std::get<Object>(std::move(v_)); }

    /// Object member; inserts null if absent (non-const) / returns null (const).
    Json& operator[](const std::string& key);
    const Json& operator[](const std::string& key) const;
    bool contains(const std::string& key) const;
    /// Array append.
    Json& push(Json v);

    /// Compact (indent < 0) or pretty-printed text.
    std::string dump(int indent = -1) const;

    bool operator==(const Json&) const = default;

  private:
    std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> v_;
};

}  // namespace weft
