#include "rtnl_codec.hpp"
#include "rtnl_socket.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>

namespace weft::kernel::rtnl {
namespace {

uint8_t af(Family f) {
    return f == Family::V4 ? AF_INET : AF_INET6;
}

std::optional<Family> familyOf(uint8_t a) {
    if (a == AF_INET)
        return Family::V4;
    if (a == AF_INET6)
        return Family::V6;
    return std::nullopt;
}

Address addrAttr(const nlattr* a, Family f) {
    return Address::fromBytes(f, static_cast<const uint8_t*>(mnl_attr_get_payload(a)));
}

std::string ifname(int index) {
    char buf[IF_NAMESIZE] = {};
    return if_indextoname(unsigned(index), buf) ? buf : "if" + std::to_string(index);
}

uint8_t routeType(RouteType t) {
    switch (t) {
        case RouteType::Unicast:
            return RTN_UNICAST;
        case RouteType::Blackhole:
            return RTN_BLACKHOLE;
        case RouteType::Unreachable:
            return RTN_UNREACHABLE;
        case RouteType::Prohibit:
            return RTN_PROHIBIT;
        case RouteType::Throw:
            return RTN_THROW;
    }
    return RTN_UNICAST;
}

uint8_t ruleAction(RuleAction a) {
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

}  // namespace

std::optional<KernelRoute> parseRoute(const nlmsghdr* nlh) {
    auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
    auto fam = familyOf(rtm->rtm_family);
    if (!fam || (rtm->rtm_flags & RTM_F_CLONED))
        return std::nullopt;
    KernelRoute k;
    Route& r = k.route;
    k.protocol = rtm->rtm_protocol;
    r.table = rtm->rtm_table;
    switch (rtm->rtm_type) {
        case RTN_UNICAST:
            r.type = RouteType::Unicast;
            break;
        case RTN_BLACKHOLE:
            r.type = RouteType::Blackhole;
            break;
        case RTN_UNREACHABLE:
            r.type = RouteType::Unreachable;
            break;
        case RTN_PROHIBIT:
            r.type = RouteType::Prohibit;
            break;
        case RTN_THROW:
            r.type = RouteType::Throw;
            break;
        default:
            return std::nullopt;  // local, broadcast, multicast...
    }
    r.scopeLink = rtm->rtm_scope == RT_SCOPE_LINK;
    Address zero;
    zero.family = *fam;
    r.dst = Prefix::make(zero, 0);
    forEachAttr(nlh, sizeof(*rtm), [&](const nlattr* a) {
        switch (mnl_attr_get_type(a)) {
            case RTA_DST:
                r.dst = Prefix::make(addrAttr(a, *fam), rtm->rtm_dst_len);
                break;
            case RTA_TABLE:
                r.table = mnl_attr_get_u32(a);
                break;
            case RTA_OIF:
                r.dev = ifname(int(mnl_attr_get_u32(a)));
                break;
            case RTA_GATEWAY:
                r.via = addrAttr(a, *fam);
                break;
            case RTA_PREFSRC:
                r.src = addrAttr(a, *fam);
                break;
            case RTA_PRIORITY:
                r.metric = mnl_attr_get_u32(a);
                break;
            case RTA_METRICS: {
                forEachNested(a, [&](const nlattr* m) {
                    if (mnl_attr_get_type(m) == RTAX_MTU)
                        r.mtu = mnl_attr_get_u32(m);
                });
                break;
            }
            default:
                break;
        }
    });
    return k;
}

Route normalized(Route r) {
    if (r.family() == Family::V6) {
        if (r.metric == 0)
            r.metric = 1024;
        r.scopeLink = false;
    }
    if (r.type != RouteType::Unicast)
        r.dev.clear();
    return r;
}

void buildRoute(nlmsghdr* nlh, const Route& r, uint8_t protocol) {
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = af(r.family());
    rtm->rtm_dst_len = r.dst.length;
    rtm->rtm_table = r.table < 256 ? uint8_t(r.table) : uint8_t(RT_TABLE_UNSPEC);
    rtm->rtm_protocol = protocol;
    rtm->rtm_type = routeType(r.type);
    rtm->rtm_scope = r.type != RouteType::Unicast ? RT_SCOPE_UNIVERSE
                     : r.scopeLink                ? RT_SCOPE_LINK
                                                  : RT_SCOPE_UNIVERSE;
    mnl_attr_put_u32(nlh, RTA_TABLE, r.table);
    if (r.dst.length > 0)
        mnl_attr_put(nlh, RTA_DST, r.dst.address.size(), r.dst.address.bytes.data());
    if (!r.dev.empty() && r.type == RouteType::Unicast) {
        mnl_attr_put_u32(nlh, RTA_OIF, if_nametoindex(r.dev.c_str()));
    }
    if (r.via)
        mnl_attr_put(nlh, RTA_GATEWAY, r.via->size(), r.via->bytes.data());
    if (r.src)
        mnl_attr_put(nlh, RTA_PREFSRC, r.src->size(), r.src->bytes.data());
    if (r.metric)
        mnl_attr_put_u32(nlh, RTA_PRIORITY, r.metric);
    if (r.mtu) {
        auto* nest = mnl_attr_nest_start(nlh, RTA_METRICS);
        mnl_attr_put_u32(nlh, RTAX_MTU, r.mtu);
        mnl_attr_nest_end(nlh, nest);
    }
}

std::optional<KernelRule> parseRule(const nlmsghdr* nlh) {
    auto* h = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
    auto fam = familyOf(h->family);
    if (!fam)
        return std::nullopt;
    KernelRule k;
    RoutingRule& r = k.rule;
    r.family = *fam;
    r.table = h->table;
    r.invert = h->flags & FIB_RULE_INVERT;
    switch (h->action) {
        case FR_ACT_TO_TBL:
            r.action = RuleAction::Lookup;
            break;
        case FR_ACT_BLACKHOLE:
            r.action = RuleAction::Blackhole;
            break;
        case FR_ACT_UNREACHABLE:
            r.action = RuleAction::Unreachable;
            break;
        case FR_ACT_PROHIBIT:
            r.action = RuleAction::Prohibit;
            break;
        default:
            return std::nullopt;  // goto, nop: not ours
    }
    std::optional<uint32_t> mark, mask;
    forEachAttr(nlh, sizeof(*h), [&](const nlattr* a) {
        switch (mnl_attr_get_type(a)) {
            case FRA_PRIORITY:
                r.priority = mnl_attr_get_u32(a);
                break;
            case FRA_FWMARK:
                mark = mnl_attr_get_u32(a);
                break;
            case FRA_FWMASK:
                mask = mnl_attr_get_u32(a);
                break;
            case FRA_SRC:
                r.from = Prefix::make(addrAttr(a, *fam), h->src_len);
                break;
            case FRA_DST:
                r.to = Prefix::make(addrAttr(a, *fam), h->dst_len);
                break;
            case FRA_IIFNAME:
                r.iif = mnl_attr_get_str(a);
                break;
            case FRA_OIFNAME:
                r.oif = mnl_attr_get_str(a);
                break;
            case FRA_TABLE:
                r.table = mnl_attr_get_u32(a);
                break;
            case FRA_PROTOCOL:
                k.protocol = mnl_attr_get_u8(a);
                break;
            case FRA_IP_PROTO:
                r.ipproto = mnl_attr_get_u8(a);
                break;
            case FRA_SPORT_RANGE: {
                auto* pr = static_cast<const fib_rule_port_range*>(mnl_attr_get_payload(a));
                r.sport = PortRange{pr->start, pr->end};
                break;
            }
            case FRA_DPORT_RANGE: {
                auto* pr = static_cast<const fib_rule_port_range*>(mnl_attr_get_payload(a));
                r.dport = PortRange{pr->start, pr->end};
                break;
            }
            default:
                break;
        }
    });
    if (mark || mask)
        r.fwmark = Mark{mark.value_or(0), mask.value_or(0xffffffff)};
    if (r.action != RuleAction::Lookup)
        r.table = 254;  // not meaningful; keep comparisons stable
    return k;
}

void buildRule(nlmsghdr* nlh, const RoutingRule& r, uint8_t protocol) {
    auto* h = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
    h->family = af(r.family);
    h->action = ruleAction(r.action);
    h->flags = r.invert ? FIB_RULE_INVERT : 0;
    if (r.action == RuleAction::Lookup) {
        h->table = r.table < 256 ? uint8_t(r.table) : uint8_t(RT_TABLE_UNSPEC);
        mnl_attr_put_u32(nlh, FRA_TABLE, r.table);
    }
    mnl_attr_put_u32(nlh, FRA_PRIORITY, r.priority);
    mnl_attr_put_u8(nlh, FRA_PROTOCOL, protocol);
    if (r.fwmark) {
        mnl_attr_put_u32(nlh, FRA_FWMARK, r.fwmark->value);
        mnl_attr_put_u32(nlh, FRA_FWMASK, r.fwmark->mask);
    }
    if (r.from) {
        h->src_len = r.from->length;
        mnl_attr_put(nlh, FRA_SRC, r.from->address.size(), r.from->address.bytes.data());
    }
    if (r.to) {
        h->dst_len = r.to->length;
        mnl_attr_put(nlh, FRA_DST, r.to->address.size(), r.to->address.bytes.data());
    }
    if (!r.iif.empty())
        mnl_attr_put_strz(nlh, FRA_IIFNAME, r.iif.c_str());
    if (!r.oif.empty())
        mnl_attr_put_strz(nlh, FRA_OIFNAME, r.oif.c_str());
    if (r.ipproto)
        mnl_attr_put_u8(nlh, FRA_IP_PROTO, *r.ipproto);
    if (r.sport) {
        fib_rule_port_range pr{r.sport->first, r.sport->last};
        mnl_attr_put(nlh, FRA_SPORT_RANGE, sizeof pr, &pr);
    }
    if (r.dport) {
        fib_rule_port_range pr{r.dport->first, r.dport->last};
        mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof pr, &pr);
    }
}

std::string describe(const Route& r) {
    std::string s = r.dst.str();
    if (!r.dev.empty())
        s += " dev " + r.dev;
    if (r.via)
        s += " via " + r.via->str();
    return s + " table " + std::to_string(r.table);
}

std::string describe(const RoutingRule& r) {
    std::string s = "priority " + std::to_string(r.priority);
    if (r.invert)
        s += " not";
    if (r.from)
        s += " from " + r.from->str();
    if (r.to)
        s += " to " + r.to->str();
    if (r.fwmark)
        s += " fwmark " + r.fwmark->str();
    if (r.ipproto)
        s += " ipproto " + std::to_string(*r.ipproto);
    if (r.sport)
        s += " sport " + r.sport->str();
    if (r.dport)
        s += " dport " + r.dport->str();
    return s + " lookup " + std::to_string(r.table);
}

}  // namespace weft::kernel::rtnl
