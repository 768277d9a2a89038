// "Did you mean": the closest known name to a misspelt one.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace weft::config {

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions),
/// case-insensitive.
size_t editDistance(const std::string& a, const std::string& b);

/// The candidate closest to `word` within distance 2 (the first on ties), or empty.
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace weft::config
