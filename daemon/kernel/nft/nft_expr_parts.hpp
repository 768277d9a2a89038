// The encoders of engine part 2 (lookups over concatenations, maps, hashes, and the
// statements weave-policy and vpn-egress use), called by appendExprs().
#pragma once

#include <libnftnl/rule.h>

#include <string>
#include <vector>

#include "weft/state.hpp"

namespace weft::kernel::nft {

/// Loads `key` as nft loads a concatenation: the first field into NFT_REG_1 (or the register
/// holding 32-bit word `firstWord`), each next field in the following 32-bit words.
/// Returns the bytes loaded (fields padded to 4).
uint32_t loadFields(nftnl_rule* r, const std::vector<weft::nft::Field>& key,
                    uint32_t firstWord = 0);

void encode(nftnl_rule* r, const weft::nft::MatchSet& m);
void encode(nftnl_rule* r, const weft::nft::VerdictMap& m);
void encode(nftnl_rule* r, const weft::nft::MapMark& m);
void encode(nftnl_rule* r, const weft::nft::HashMark& h);
void encode(nftnl_rule* r, const weft::nft::HashVerdictMap& m);
void encode(nftnl_rule* r, const weft::nft::MatchCtStatus& m);
void encode(nftnl_rule* r, const weft::nft::MatchCtDirection& m);
void encode(nftnl_rule* r, const weft::nft::MatchFibDaddrLocal& m);
void encode(nftnl_rule* r, const weft::nft::MatchIcmpType& m);
void encode(nftnl_rule* r, const weft::nft::CounterRef& c);
void encode(nftnl_rule* r, const weft::nft::Log& l);
void encode(nftnl_rule* r, const weft::nft::Limit& l);
void encode(nftnl_rule* r, const weft::nft::Reject& j);

/// nft's name of a field ("ip saddr", "th dport"), for messages and the rule's text.
std::string fieldName(weft::nft::Field f);
/// The set type of a field's values.
weft::nft::DataType fieldType(weft::nft::Field f);

}  // namespace weft::kernel::nft
