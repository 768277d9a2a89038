// weft's RoutingRule <-> RTM_NEWRULE/RTM_DELRULE messages. Built with libnl-route's rtnl_rule;
// parsed here, because rtnl_rule hides the header flags that carry "not" (FIB_RULE_INVERT).
#pragma once

#include <linux/netlink.h>

#include <optional>
#include <string>
#include <vector>

#include "nl_socket.hpp"
#include "weft/state.hpp"

namespace weft::kernel::rtnl {

struct KernelRule {
    uint8_t protocol = 0;
    uint32_t priority = 0;
    /// weft's view, normalized(); nullopt when the kernel rule uses something a RoutingRule
    /// cannot express (goto, tos, uid ranges...): never equal to a desired rule.
    std::optional<RoutingRule> rule;
    std::vector<char> raw;  ///< the dumped message: deleting with it names exactly this rule
};

/// Parses a dumped rule; nullopt for families other than IPv4/IPv6.
std::optional<KernelRule> parseRule(const nlmsghdr* nlh);

/// The RTM_NEWRULE request (NLM_F_CREATE | NLM_F_EXCL) for `r` tagged with `protocol`.
NlMsgPtr buildRuleAdd(const RoutingRule& r, uint8_t protocol);
/// The RTM_DELRULE request for a rule read from the kernel.
NlMsgPtr buildRuleDelete(const KernelRule& k);

/// A rule as the kernel will report it: a mark under mask 0 matches everything (none), and a
/// rule that does not look up a table has no table.
RoutingRule normalized(RoutingRule r);
/// Why the kernel would refuse `r` or misread it, or empty.
std::string invalidReason(const RoutingRule& r);

/// Like `ip rule`: "100: not from 10.0.0.0/8 fwmark 0x20/0x60 ipproto 6 dport 80-90 lookup 180".
std::string describe(const RoutingRule& r);

}  // namespace weft::kernel::rtnl
