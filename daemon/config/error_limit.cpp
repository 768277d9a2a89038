#include "error_limit.hpp"

#include <string>

#include "../bus_text.hpp"

namespace weft::config {
namespace {

constexpr std::string_view kPrefix = "... and ";
constexpr std::string_view kSuffix = " more errors";

// How many errors `e` stands for: the count of a summary made by limitErrors, else 1.
size_t weight(const ConfigError& e) {
    const std::string& r = e.reason;
    if (!e.section.empty() || !e.key.empty() || r.size() <= kPrefix.size() + kSuffix.size() ||
        r.compare(0, kPrefix.size(), kPrefix) != 0 ||
        r.compare(r.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
        return 1;
    }
    std::string digits = r.substr(kPrefix.size(), r.size() - kPrefix.size() - kSuffix.size());
    if (digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos)
        return 1;
    return std::stoull(digits);
}

}  // namespace

void limitErrors(std::vector<ConfigError>& errors, size_t unreported) {
    if (errors.size() <= kMaxReportedErrors && unreported == 0)
        return;
    size_t hidden = unreported;
    Location at = errors.empty() ? Location{} : errors.back().where;
    if (errors.size() > kMaxReportedErrors) {
        at = errors[kMaxReportedErrors].where;
        for (size_t i = kMaxReportedErrors; i < errors.size(); ++i)
            hidden += weight(errors[i]);
        errors.resize(kMaxReportedErrors);
    }
    errors.push_back(ConfigError{
        at, "", "", std::string(kPrefix) + std::to_string(hidden) + std::string(kSuffix)});
}

}  // namespace weft::config
