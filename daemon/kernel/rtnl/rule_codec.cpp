#include "rule_codec.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/rule.h>

#include <cstdio>
#include <new>

#include "nl_addr.hpp"

namespace weft::kernel::rtnl {
namespace {

struct RulePut {
    void operator()(rtnl_rule* r) const { rtnl_rule_put(r); }
};

uint8_t kernelAction(RuleAction a) {
    switch (a) {
        case RuleAction::Lookup:
            return FR_ACT_TO_TBL;
        case RuleAction::Blackhole:
            return FR_ACT_BLACKHOLE;
        case RuleAction::Unreachable:
            return FR_ACT_UNREACHABLE;
        case RuleAction::Prohibit:
            return FR_ACT_PROHIBIT;
    }
    return FR_ACT_TO_TBL;
}

std::optional<RuleAction> weftAction(uint8_t a) {
    switch (a) {
        case FR_ACT_TO_TBL:
            return RuleAction::Lookup;
        case FR_ACT_BLACKHOLE:
            return RuleAction::Blackhole;
        case FR_ACT_UNREACHABLE:
            return RuleAction::Unreachable;
        case FR_ACT_PROHIBIT:
            return RuleAction::Prohibit;
        default:
            return std::nullopt;  // goto, nop
    }
}

PortRange portRange(const nlattr* a) {
    auto* pr = static_cast<const fib_rule_port_range*>(nla_data(a));
    return PortRange{pr->start, pr->end};
}

// Attributes weft never writes: a rule carrying one is not a RoutingRule.
bool hasForeignSelectors(nlattr** tb) {
    if (tb[FRA_GOTO] || tb[FRA_FLOW] || tb[FRA_L3MDEV] || tb[FRA_UID_RANGE] || tb[FRA_TUN_ID])
        return true;
    for (int t : {FRA_SUPPRESS_PREFIXLEN, FRA_SUPPRESS_IFGROUP}) {
        if (tb[t] && nla_get_u32(tb[t]) != 0xffffffff)
            return true;
    }
    return false;
}

std::optional<RoutingRule> toRule(const fib_rule_hdr* h, Family fam, nlattr** tb) {
    auto action = weftAction(h->action);
    if (!action || h->tos || hasForeignSelectors(tb))
        return std::nullopt;
    RoutingRule r;
    r.family = fam;
    r.action = *action;
    r.invert = h->flags & FIB_RULE_INVERT;
    r.table = tb[FRA_TABLE] ? nla_get_u32(tb[FRA_TABLE]) : h->table;
    r.priority = tb[FRA_PRIORITY] ? nla_get_u32(tb[FRA_PRIORITY]) : 0;
    if (tb[FRA_FWMARK] || tb[FRA_FWMASK]) {
        // The kernel leaves out a full mask.
        r.fwmark = Mark{tb[FRA_FWMARK] ? nla_get_u32(tb[FRA_FWMARK]) : 0,
                        tb[FRA_FWMASK] ? nla_get_u32(tb[FRA_FWMASK]) : 0xffffffff};
    }
    auto prefix = [&](nlattr* a, uint8_t len) -> std::optional<Prefix> {
        if (!a || nla_len(a) != int(fam == Family::V4 ? 4 : 16))
            return std::nullopt;
        return Prefix::make(Address::fromBytes(fam, static_cast<const uint8_t*>(nla_data(a))), len);
    };
    r.from = prefix(tb[FRA_SRC], h->src_len);
    r.to = prefix(tb[FRA_DST], h->dst_len);
    if (tb[FRA_IIFNAME])
        r.iif = nla_get_string(tb[FRA_IIFNAME]);
    if (tb[FRA_OIFNAME])
        r.oif = nla_get_string(tb[FRA_OIFNAME]);
    if (tb[FRA_IP_PROTO])
        r.ipproto = nla_get_u8(tb[FRA_IP_PROTO]);
    if (tb[FRA_SPORT_RANGE] && nla_len(tb[FRA_SPORT_RANGE]) == sizeof(fib_rule_port_range))
        r.sport = portRange(tb[FRA_SPORT_RANGE]);
    if (tb[FRA_DPORT_RANGE] && nla_len(tb[FRA_DPORT_RANGE]) == sizeof(fib_rule_port_range))
        r.dport = portRange(tb[FRA_DPORT_RANGE]);
    return normalized(r);
}

}  // namespace

std::optional<KernelRule> parseRule(const nlmsghdr* nlh) {
    auto* h = static_cast<const fib_rule_hdr*>(nlmsg_data(nlh));
    auto fam = familyOf(h->family);
    nlattr* tb[FRA_MAX + 1] = {};
    if (!fam ||
        nlmsg_parse(const_cast<nlmsghdr*>(nlh), sizeof(fib_rule_hdr), tb, FRA_MAX, nullptr) < 0)
        return std::nullopt;
    KernelRule k;
    k.protocol = tb[FRA_PROTOCOL] ? nla_get_u8(tb[FRA_PROTOCOL]) : 0;
    k.priority = tb[FRA_PRIORITY] ? nla_get_u32(tb[FRA_PRIORITY]) : 0;
    k.rule = toRule(h, *fam, tb);
    auto* bytes = reinterpret_cast<const char*>(nlh);
    k.raw.assign(bytes, bytes + nlh->nlmsg_len);
    return k;
}

RoutingRule normalized(RoutingRule r) {
    if (r.fwmark && r.fwmark->mask == 0)
        r.fwmark.reset();
    if (r.action != RuleAction::Lookup)
        r.table = 0;
    return r;
}

std::string invalidReason(const RoutingRule& r) {
    for (auto& p : {r.from, r.to}) {
        if (p && p->family() != r.family)
            return "address family of " + p->str() + " differs from the rule's";
    }
    if (r.action == RuleAction::Lookup && r.table == 0)
        return "a lookup rule needs a table";
    return {};
}

NlMsgPtr buildRuleAdd(const RoutingRule& desired, uint8_t protocol) {
    RoutingRule r = normalized(desired);
    std::unique_ptr<rtnl_rule, RulePut> obj(rtnl_rule_alloc());
    if (!obj)
        throw std::bad_alloc();
    rtnl_rule* o = obj.get();
    rtnl_rule_set_family(o, afOf(r.family));
    rtnl_rule_set_prio(o, r.priority);
    rtnl_rule_set_action(o, kernelAction(r.action));
    rtnl_rule_set_table(o, r.table);
    rtnl_rule_set_protocol(o, protocol);
    if (r.fwmark) {
        rtnl_rule_set_mark(o, r.fwmark->value);
        rtnl_rule_set_mask(o, r.fwmark->mask);
    }
    if (r.from)
        rtnl_rule_set_src(o, toNl(*r.from).get());
    if (r.to)
        rtnl_rule_set_dst(o, toNl(*r.to).get());
    if (!r.iif.empty())
        rtnl_rule_set_iif(o, r.iif.c_str());
    if (!r.oif.empty())
        rtnl_rule_set_oif(o, r.oif.c_str());
    if (r.ipproto)
        rtnl_rule_set_ipproto(o, *r.ipproto);
    if (r.sport)
        rtnl_rule_set_sport_range(o, r.sport->first, r.sport->last);
    if (r.dport)
        rtnl_rule_set_dport_range(o, r.dport->first, r.dport->last);
    nl_msg* msg = nullptr;
    if (rtnl_rule_build_add_request(o, NLM_F_EXCL, &msg) < 0 || !msg)
        throw std::bad_alloc();
    if (r.invert)  // rtnl_rule has no setter for the header flags
        static_cast<fib_rule_hdr*>(nlmsg_data(nlmsg_hdr(msg)))->flags |= FIB_RULE_INVERT;
    return NlMsgPtr(msg);
}

NlMsgPtr buildRuleDelete(const KernelRule& k) {
    NlMsgPtr msg(nlmsg_convert(reinterpret_cast<nlmsghdr*>(const_cast<char*>(k.raw.data()))));
    if (!msg)
        throw std::bad_alloc();
    nlmsghdr* h = nlmsg_hdr(msg.get());
    h->nlmsg_type = RTM_DELRULE;
    h->nlmsg_flags = NLM_F_REQUEST;
    h->nlmsg_seq = NL_AUTO_SEQ;  // the dump's sequence and port: libnl fills in ours
    h->nlmsg_pid = NL_AUTO_PORT;
    // Keep "not"; drop state flags the kernel set itself (unresolved, detached...).
    static_cast<fib_rule_hdr*>(nlmsg_data(h))->flags &= FIB_RULE_INVERT;
    return msg;
}

std::string describe(const RoutingRule& r) {
    std::string s = std::to_string(r.priority) + ":";
    if (r.invert)
        s += " not";
    s += " from " + (r.from ? r.from->str() : std::string("all"));
    if (r.to)
        s += " to " + r.to->str();
    if (r.fwmark) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%x/0x%x", r.fwmark->value, r.fwmark->mask);
        s += std::string(" fwmark ") + buf;
    }
    if (!r.iif.empty())
        s += " iif " + r.iif;
    if (!r.oif.empty())
        s += " oif " + r.oif;
    if (r.ipproto)
        s += " ipproto " + std::to_string(*r.ipproto);
    if (r.sport)
        s += " sport " + r.sport->str();
    if (r.dport)
        s += " dport " + r.dport->str();
    static const char* const actions[] = {"lookup", "blackhole", "unreachable", "prohibit"};
    s += std::string(" ") + actions[int(r.action)];
    if (r.action == RuleAction::Lookup)
        s += " " + (r.table == 254 ? std::string("main") : std::to_string(r.table));
    return s + (r.family == Family::V6 ? " (ipv6)" : "");
}

}  // namespace weft::kernel::rtnl
