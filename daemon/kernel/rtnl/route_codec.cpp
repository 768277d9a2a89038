#include "route_codec.hpp"

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/route/nexthop.h>

#include <new>

#include "nl_addr.hpp"

namespace weft::kernel::rtnl {
namespace {

uint8_t kernelType(RouteType t) {
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

std::optional<RouteType> weftType(uint8_t t) {
    switch (t) {
        case RTN_UNICAST:
            return RouteType::Unicast;
        case RTN_BLACKHOLE:
            return RouteType::Blackhole;
        case RTN_UNREACHABLE:
            return RouteType::Unreachable;
        case RTN_PROHIBIT:
            return RouteType::Prohibit;
        case RTN_THROW:
            return RouteType::Throw;
        default:
            return std::nullopt;  // local, broadcast, multicast, nat...
    }
}

std::string ifName(int index) {
    char buf[IF_NAMESIZE] = {};
    return if_indextoname(unsigned(index), buf) ? buf : "if" + std::to_string(index);
}

// The single nexthop of a unicast route: its device and gateway.
bool readNexthop(rtnl_route* obj, Route& r) {
    int n = rtnl_route_get_nnexthops(obj);
    if (n == 0)
        return true;
    if (n > 1)
        return false;  // multipath: not something weft writes
    rtnl_nexthop* nh = rtnl_route_nexthop_n(obj, 0);
    if (int oif = rtnl_route_nh_get_ifindex(nh); oif > 0)
        r.dev = ifName(oif);
    if (auto gw = fromNl(rtnl_route_nh_get_gateway(nh)))
        r.via = gw;
    return true;
}

}  // namespace

RouteTag routeTag(nlmsghdr* nlh) {
    auto* rtm = static_cast<rtmsg*>(nlmsg_data(nlh));
    RouteTag t{rtm->rtm_family, rtm->rtm_protocol, rtm->rtm_table,
               (rtm->rtm_flags & RTM_F_CLONED) != 0};
    if (nlattr* a = nlmsg_find_attr(nlh, sizeof(rtmsg), RTA_TABLE))
        t.table = nla_get_u32(a);
    return t;
}

std::optional<KernelRoute> parseRoute(nlmsghdr* nlh) {
    rtnl_route* raw = nullptr;
    if (rtnl_route_parse(nlh, &raw) < 0 || !raw)
        return std::nullopt;
    KernelRoute k;
    k.obj.reset(raw);
    auto fam = familyOf(rtnl_route_get_family(raw));
    auto dst = fromNl(rtnl_route_get_dst(raw));
    if (!fam || !dst)
        return std::nullopt;
    Route& r = k.route;
    r.table = rtnl_route_get_table(raw);
    r.dst = Prefix::make(*dst, uint8_t(nl_addr_get_prefixlen(rtnl_route_get_dst(raw))));
    auto type = weftType(rtnl_route_get_type(raw));
    r.type = type.value_or(RouteType::Unicast);
    r.metric = rtnl_route_get_priority(raw);
    r.scopeLink = rtnl_route_get_scope(raw) == RT_SCOPE_LINK;
    r.src = fromNl(rtnl_route_get_pref_src(raw));
    uint32_t mtu = 0;
    if (rtnl_route_get_metric(raw, RTAX_MTU, &mtu) == 0)
        r.mtu = mtu;
    bool single = readNexthop(raw, r);
    k.exact = type && single && rtnl_route_get_tos(raw) == 0;
    r = normalized(r);
    return k;
}

Route normalized(Route r) {
    if (r.family() == Family::V6) {
        if (r.metric == 0)
            r.metric = 1024;  // IP6_RT_PRIO_USER: what the kernel picks for "no metric"
        r.scopeLink = false;
    }
    if (r.type != RouteType::Unicast) {
        r.dev.clear();  // IPv6 reports "dev lo" for these
        r.via.reset();
        r.scopeLink = false;
    }
    return r;
}

std::variant<NlMsgPtr, std::string> buildRouteAdd(const Route& desired, uint8_t protocol,
                                                  int flags) {
    Route r = normalized(desired);
    RtnlRoutePtr obj(rtnl_route_alloc());
    if (!obj)
        throw std::bad_alloc();
    rtnl_route_set_family(obj.get(), uint8_t(afOf(r.family())));
    rtnl_route_set_table(obj.get(), r.table);
    rtnl_route_set_protocol(obj.get(), protocol);
    rtnl_route_set_type(obj.get(), kernelType(r.type));
    // Always explicit: libnl would otherwise guess "link" for a route without a gateway.
    rtnl_route_set_scope(obj.get(), r.scopeLink ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
    rtnl_route_set_dst(obj.get(), toNl(r.dst).get());
    if (r.metric)
        rtnl_route_set_priority(obj.get(), r.metric);
    if (r.src)
        rtnl_route_set_pref_src(obj.get(), toNl(*r.src, r.src->bits()).get());
    if (r.mtu)
        rtnl_route_set_metric(obj.get(), RTAX_MTU, r.mtu);
    if (r.type == RouteType::Unicast) {
        if (r.dev.empty() && !r.via)
            return "a unicast route needs a device or a gateway";
        rtnl_nexthop* nh = rtnl_route_nh_alloc();
        if (!nh)
            throw std::bad_alloc();
        rtnl_route_add_nexthop(obj.get(), nh);  // the route owns it from here
        if (!r.dev.empty()) {
            unsigned index = if_nametoindex(r.dev.c_str());
            if (!index)
                return "device " + r.dev + " does not exist";
            rtnl_route_nh_set_ifindex(nh, int(index));
        }
        if (r.via)
            rtnl_route_nh_set_gateway(nh, toNl(*r.via, r.via->bits()).get());
    }
    nl_msg* msg = nullptr;
    if (rtnl_route_build_add_request(obj.get(), flags, &msg) < 0 || !msg)
        throw std::bad_alloc();
    return NlMsgPtr(msg);
}

NlMsgPtr buildRouteDelete(const KernelRoute& k) {
    nl_msg* msg = nullptr;
    if (rtnl_route_build_del_request(k.obj.get(), 0, &msg) < 0 || !msg)
        throw std::bad_alloc();
    return NlMsgPtr(msg);
}

std::string describe(const Route& r) {
    static const char* const types[] = {"", "blackhole ", "unreachable ", "prohibit ", "throw "};
    std::string s = types[int(r.type)] + r.dst.str();
    if (r.via)
        s += " via " + r.via->str();
    if (!r.dev.empty())
        s += " dev " + r.dev;
    if (r.src)
        s += " src " + r.src->str();
    if (r.metric)
        s += " metric " + std::to_string(r.metric);
    if (r.mtu)
        s += " mtu " + std::to_string(r.mtu);
    return s + " table " + (r.table == 254 ? std::string("main") : std::to_string(r.table));
}

}  // namespace weft::kernel::rtnl
