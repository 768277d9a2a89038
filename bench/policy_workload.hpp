// What policy-bench applies: a weave-policy-like table, generated twice from the same
// parameters, as weft's desired state and as an `nft -f` file. Every rule and element is
// written both ways on adjacent lines (a Twin), so the two rulesets cannot drift apart; the
// bench also compares the two tables as the kernel lists them.
//
// table inet <name>:
//   map pods       ipv4_addr : verdict           pod(k) : jump pol_k, one per policy
//   set allow_k    ipv4_addr . inet_proto . inet_service   3 elements per policy
//   set pairs_k    ipv4_addr . ipv4_addr                   2 elements per policy
//   counter denied
//   chain forward  (filter hook forward): ct state, then `ip daddr vmap @pods`
//   chain pol_k    10 rules: ct state, the two concatenated lookups, ports, icmp, log, drop
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "weft/state.hpp"

namespace weft::bench {

/// One rule as the engine is given it and as `nft` is given it.
struct TwinRule {
    nft::Rule rule;
    std::string text;
};

/// Rules per policy chain; the chain's rule at kPortRule matches `tcp dport <port>`.
constexpr unsigned kPolicyRules = 10;
constexpr unsigned kPortRule = 4;
/// Concatenated set elements per policy (allow_k: 3, pairs_k: 2).
constexpr unsigned kElementsPerPolicy = 5;

/// Policy k's chain name ("pol_k").
std::string policyChain(unsigned k);
/// The port policy k's port rule matches in a freshly built ruleset.
uint16_t basePort(unsigned k);
/// The rules of policy k's chain, its port rule matching `port`.
std::vector<TwinRule> policyRules(unsigned k, uint16_t port);
/// Just the engine's half of policyRules.
std::vector<nft::Rule> rulesOf(const std::vector<TwinRule>& twins);

/// The whole ruleset of `policies` policies, both ways.
struct PolicyRuleset {
    nft::Table table;     ///< tagged by the engine for its owner
    std::string nftText;  ///< `nft -f` input creating the same table (comment "weft:<owner>")
    size_t chains = 0, rules = 0, sets = 0, elements = 0;  ///< elements: all sets and maps
};
PolicyRuleset policyRuleset(const std::string& table, const std::string& owner, unsigned policies);

/// `nft -f` input replacing policy k's rules (flush, then add), as the engine's change does.
std::string chainChangeText(const std::string& table, unsigned k, uint16_t port);

}  // namespace weft::bench
