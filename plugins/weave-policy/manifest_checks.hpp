// weave-policy: the API server's checks of names, label keys and values, and port names.
//
// Each returns "" for a valid value, else the reason in the API server's words, so a
// manifest refused by weft would be refused by Kubernetes for the same reason.
#pragma once

#include <string>
#include <string_view>

namespace weft::weave {

/// RFC 1123 label (namespace names): at most 63 of [a-z0-9-], alphanumeric at both ends.
std::string checkDns1123Label(std::string_view name);
/// RFC 1123 subdomain (pod and policy names): dot-separated labels, at most 253 characters.
std::string checkDns1123Subdomain(std::string_view name);
/// Label key: an optional DNS subdomain prefix and '/', then a name of at most 63
/// characters of [A-Za-z0-9._-], alphanumeric at both ends.
std::string checkLabelKey(std::string_view key);
/// Label value: empty, or at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends.
std::string checkLabelValue(std::string_view value);
/// IANA_SVC_NAME (named ports): 1-15 of [a-z0-9-], at least one letter, no "--", no '-'
/// at either end.
std::string checkPortName(std::string_view name);

}  // namespace weft::weave
