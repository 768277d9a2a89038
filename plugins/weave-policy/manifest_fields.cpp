#include "manifest_fields.hpp"

#include <limits>

#include "objects.hpp"

namespace weft::weave {

void FieldReader::fail(std::string field, std::string message) {
    issues_.push_back({std::move(field), std::move(message)});
}

const Doc* FieldReader::member(const Doc* object, std::string_view key) {
    if (object == nullptr || !object->is_object())
        return nullptr;
    const auto& map = object->get_ref<const Doc::object_t&>();
    auto it = map.find(key);  // std::less<>: no std::string made for the lookup
    if (it == map.end() || it->second.is_null())
        return nullptr;
    return &it->second;
}

const char* typeName(const Doc& value) {
    switch (value.type()) {
        case Doc::value_t::null:
            return "null";
        case Doc::value_t::object:
            return "a map";
        case Doc::value_t::array:
            return "a list";
        case Doc::value_t::string:
            return "a string";
        case Doc::value_t::boolean:
            return "a boolean";
        case Doc::value_t::number_integer:
        case Doc::value_t::number_unsigned:
        case Doc::value_t::number_float:
            return "a number";
        default:
            return "binary data";
    }
}

void FieldReader::wrongType(const Doc& value, const char* wanted, const std::string& field) {
    std::string message = std::string("must be ") + wanted + ", not " + typeName(value);
    // The usual cause in YAML: `version: 1` or `enabled: yes` where a string is meant.
    if (std::string_view(wanted) == "a string" && (value.is_number() || value.is_boolean()))
        message += " (quote it in YAML)";
    fail(field, std::move(message));
}

const Doc* FieldReader::map(const Doc* value, const std::string& field) {
    if (value == nullptr || value->is_null())
        return nullptr;
    if (value->is_object())
        return value;
    wrongType(*value, "a map", field);
    return nullptr;
}

const Doc* FieldReader::list(const Doc* value, const std::string& field) {
    if (value == nullptr || value->is_null())
        return nullptr;
    if (value->is_array())
        return value;
    wrongType(*value, "a list", field);
    return nullptr;
}

const Doc* FieldReader::item(const Doc& value, const std::string& field) {
    if (value.is_object())
        return &value;
    wrongType(value, "a map", field);
    return nullptr;
}

std::optional<std::string> FieldReader::requiredString(const Doc* value, const std::string& field) {
    if (value == nullptr || value->is_null() ||
        (value->is_string() && value->get_ref<const std::string&>().empty())) {
        fail(field, "required value");
        return std::nullopt;
    }
    return string(value, field);
}

std::optional<std::string> FieldReader::string(const Doc* value, const std::string& field) {
    if (value == nullptr || value->is_null())
        return std::nullopt;
    if (value->is_string())
        return value->get_ref<const std::string&>();
    wrongType(*value, "a string", field);
    return std::nullopt;
}

std::optional<int64_t> FieldReader::integer(const Doc* value, const std::string& field) {
    if (value == nullptr || value->is_null())
        return std::nullopt;
    if (value->is_number_unsigned()) {  // nlohmann reads every JSON integer >= 0 so
        uint64_t n = value->get<uint64_t>();
        if (n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return static_cast<int64_t>(n);
        fail(field, "invalid value " + std::to_string(n) + ": out of range");
        return std::nullopt;
    }
    if (value->is_number_integer())
        return value->get<int64_t>();
    wrongType(*value, "an integer", field);
    return std::nullopt;
}

std::optional<bool> FieldReader::boolean(const Doc* value, const std::string& field) {
    if (value == nullptr || value->is_null())
        return std::nullopt;
    if (value->is_boolean())
        return value->get<bool>();
    wrongType(*value, "a boolean", field);
    return std::nullopt;
}

std::optional<uint16_t> FieldReader::port(const Doc* value, const std::string& field) {
    std::optional<int64_t> n = integer(value, field);
    if (!n)
        return std::nullopt;
    if (*n < 1 || *n > 65535) {
        fail(field, "invalid value " + std::to_string(*n) + ": must be between 1 and 65535");
        return std::nullopt;
    }
    return static_cast<uint16_t>(*n);
}

std::optional<uint8_t> FieldReader::protocol(const Doc* value, const std::string& field) {
    size_t before = issues_.size();
    std::optional<std::string> name = string(value, field);
    if (issues_.size() != before)
        return std::nullopt;
    if (!name || *name == "TCP")
        return kTcp;
    if (*name == "UDP")
        return kUdp;
    if (*name == "SCTP")
        return kSctp;
    fail(field,
         "unsupported value " + quote(*name) + ": supported values are \"TCP\", \"UDP\", \"SCTP\"");
    return std::nullopt;
}

std::string fieldPath(const std::string& base, std::string_view key) {
    if (base.empty())
        return std::string(key);
    std::string path = base;
    path += '.';
    path += key;
    return path;
}

std::string fieldIndex(const std::string& base, size_t index) {
    return base + '[' + std::to_string(index) + ']';
}

std::string fieldKey(const std::string& base, std::string_view key) {
    return base + '[' + printable(key) + ']';
}

}  // namespace weft::weave
