#include "manifest_checks.hpp"

namespace weft::weave {
namespace {

bool isLowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool isAlnum(char c) {
    return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}

/// [a-z0-9]([-a-z0-9]*[a-z0-9])?, of any length.
bool isLabelShape(std::string_view s) {
    if (s.empty() || !isLowerAlnum(s.front()) || !isLowerAlnum(s.back()))
        return false;
    for (char c : s)
        if (!isLowerAlnum(c) && c != '-')
            return false;
    return true;
}

/// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]: the name part of a qualified name, and a value.
bool isQualifiedPart(std::string_view s) {
    if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back()))
        return false;
    for (char c : s)
        if (!isAlnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    return true;
}

const char* const kLabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character";
const char* const kSubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character";
const char* const kQualifiedMessage =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character";

}  // namespace

std::string checkDns1123Label(std::string_view name) {
    if (name.size() > 63)
        return "must be no more than 63 characters";
    if (!isLabelShape(name))
        return kLabelMessage;
    return "";
}

std::string checkDns1123Subdomain(std::string_view name) {
    if (name.size() > 253)
        return "must be no more than 253 characters";
    size_t start = 0;
    while (true) {
        size_t dot = name.find('.', start);
        std::string_view label = name.substr(start, dot == name.npos ? name.npos : dot - start);
        // The API server limits only the whole name, not each dot-separated part.
        if (!isLabelShape(label))
            return kSubdomainMessage;
        if (dot == name.npos)
            return "";
        start = dot + 1;
    }
}

std::string checkLabelKey(std::string_view key) {
    std::string_view name = key;
    size_t slash = key.find('/');
    if (slash != key.npos) {
        std::string_view prefix = key.substr(0, slash);
        name = key.substr(slash + 1);
        if (prefix.empty())
            return "prefix part must be non-empty";
        if (std::string reason = checkDns1123Subdomain(prefix); !reason.empty())
            return "prefix part " + reason;
        if (name.find('/') != name.npos)
            return "a qualified name must consist of an optional DNS subdomain prefix and '/', "
                   "then a name";
    }
    if (name.empty())
        return "name part must be non-empty";
    if (name.size() > 63)
        return "name part must be no more than 63 characters";
    if (!isQualifiedPart(name))
        return std::string("name part ") + kQualifiedMessage;
    return "";
}

std::string checkLabelValue(std::string_view value) {
    if (value.size() > 63)
        return "must be no more than 63 characters";
    if (!value.empty() && !isQualifiedPart(value))
        return std::string("a valid label ") + kQualifiedMessage;
    return "";
}

std::string checkPortName(std::string_view name) {
    if (name.size() > 15)
        return "must be no more than 15 characters";
    if (name.empty())
        return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
    bool letter = false;
    for (char c : name) {
        if (!isLowerAlnum(c) && c != '-')
            return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
        letter = letter || (c >= 'a' && c <= 'z');
    }
    if (name.find("--") != name.npos)
        return "must not contain consecutive hyphens";
    if (!letter)
        return "must contain at least one letter (a-z)";
    if (name.front() == '-' || name.back() == '-')
        return "must not begin or end with a hyphen";
    return "";
}

}  // namespace weft::weave
