// weave-policy: label selector matching, as Kubernetes defines it.
#pragma once

#include "objects.hpp"

namespace weft::weave {

/// True when `labels` satisfy every matchLabels pair and every matchExpressions requirement
/// (In: the key is present with one of the values; NotIn: absent, or present with none of
/// them; Exists; DoesNotExist). The empty selector matches everything.
bool matches(const LabelSelector& selector, const Labels& labels);

}  // namespace weft::weave
