// Helpers for the kernel engine tests: the nft command line as an outside witness,
// and small builders of desired tables.
#pragma once

#include <string>
#include <vector>

#include "../shell_cmd.hpp"
#include "kernel/nft/nft_engine.hpp"

namespace weft::test {

/// `nft <args>`; fails the current test when nft fails and `mustSucceed`.
std::string nft(const std::string& args, bool mustSucceed = true);
/// `nft list table <family> <name>` ("" when the table does not exist).
std::string listTable(const std::string& family, const std::string& name);
/// Number of occurrences of `needle` in `hay`.
size_t count(const std::string& hay, const std::string& needle);

/// `n` distinct IPv4 /32 elements starting at 10.0.0.0 (or /24 prefixes when `length` is 24),
/// none adjacent, so none merge.
weft::nft::ElementSet v4Elements(size_t n, uint8_t length, uint32_t base = 0x0a000000);

/// A small table: set `dst4` (interval) and a filter base chain plus a regular chain `tag`.
weft::nft::Table sampleTable(const std::string& name);

/// Deletes every table of the test namespace (between tests), including owned ones.
void resetRuleset();

}  // namespace weft::test
