#include "selector.hpp"

#include <algorithm>

namespace weft::weave {
namespace {

bool satisfied(const Requirement& r, const Labels& labels) {
    auto it = labels.find(r.key);
    bool present = it != labels.end();
    auto listed = [&] {
        return present && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    };
    switch (r.op) {
        case Requirement::Op::In:
            return listed();
        case Requirement::Op::NotIn:
            return !listed();
        case Requirement::Op::Exists:
            return present;
        case Requirement::Op::DoesNotExist:
            return !present;
    }
    return false;
}

}  // namespace

bool matches(const LabelSelector& selector, const Labels& labels) {
    for (const auto& [key, value] : selector.matchLabels) {
        auto it = labels.find(key);
        if (it == labels.end() || it->second != value)
            return false;
    }
    return std::all_of(selector.matchExpressions.begin(), selector.matchExpressions.end(),
                       [&](const Requirement& r) { return satisfied(r, labels); });
}

}  // namespace weft::weave
