// Typed rule expressions (weft::nft::Expr) -> libnftnl expressions, as nft itself emits them.
#pragma once

#include <libnftnl/rule.h>

#include <string>
#include <vector>

#include "weft/state.hpp"

namespace weft::kernel::nft {

/// Appends the expressions of `rule` to `r`. Throws std::invalid_argument for a rule the
/// kernel cannot express (the message names the expression).
void appendExprs(nftnl_rule* r, const weft::nft::Rule& rule);

/// The sets and maps the rule refers to by name.
std::vector<std::string> setsUsed(const weft::nft::Rule& rule);

/// A short human description for error messages: its comment, sets and verdict.
std::string ruleSummary(const weft::nft::Rule& rule);

/// A stable text form of a rule (used for its identity hash and for messages).
std::string ruleText(const weft::nft::Rule& rule);

}  // namespace weft::kernel::nft
