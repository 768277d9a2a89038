#include "routing_state.hpp"

#include "routing_schema.hpp"

namespace weft::steer {

namespace {

std::string suffix(Family f) {
    return f == Family::V4 ? "4" : "6";
}

nft::Set intervalSet(std::string name, Family f, const PrefixSet& members) {
    nft::Set s;
    s.name = std::move(name);
    s.keyType = f == Family::V4 ? nft::DataType::Ipv4Addr : nft::DataType::Ipv6Addr;
    s.interval = true;
    for (auto& p : members.prefixes(f))
        s.elements.push_back({p, {}});
    return s;
}

// IPv6 neighbor discovery is never steered: with a peer's underlay address in Destinations,
// our solicitations and advertisements to it would enter the tunnel that needs them. ICMPv6
// type and code are the first 16 bits of its header, so types 133-137 (router and neighbor
// solicitation/advertisement, redirect) with code 0 are the "port" range 133<<8 - 137<<8.
nft::Rule neighborDiscoveryRule() {
    nft::Rule r;
    r.family(Family::V6).l4proto(58).sport(PortRange{133 << 8, 137 << 8}).counter().accept();
    return r.withComment("never steer neighbor discovery");
}

nft::Chain baseChain(std::string name, nft::ChainType type, nft::Hook hook) {
    return nft::Chain{std::move(name), nft::BaseChain{type, hook, -150, nft::Verdict::Accept}, {}};
}

// Adds the ND exemption at the head of a chain that steers IPv6.
void guardNeighborDiscovery(nft::Chain& chain) {
    for (auto& rule : chain.rules) {
        if (rule.exprs.front() == nft::Expr{nft::MatchFamily{Family::V6}}) {
            chain.rules.insert(chain.rules.begin(), neighborDiscoveryRule());
            return;
        }
    }
}

nft::Table buildTable(const RoutingSettings& settings, const std::vector<ResolvedPolicy>& res) {
    nft::Table t{nft::TableFamily::Inet, kNftTable, {}, {}};
    nft::Chain pre = baseChain("prerouting", nft::ChainType::Filter, nft::Hook::Prerouting);
    nft::Chain out = baseChain("output", nft::ChainType::Route, nft::Hook::Output);
    for (size_t i = 0; i < settings.policies.size(); ++i) {
        const Policy& p = settings.policies[i];
        for (Family f : p.families) {
            // Sets always exist, even empty: a growing set changes elements, never rules.
            t.sets.push_back(intervalSet(setName(p, "dst", f), f, res.at(i).destinations));
            if (p.scoped())
                t.sets.push_back(intervalSet(setName(p, "src", f), f, res.at(i).sources));
            pre.rules.push_back(steerRule(p, f));
            // Source-scoped: host traffic is never steered; it reaches remote pods through
            // main, so peers need not accept host addresses (the Calico fix).
            if (!p.scoped())
                out.rules.push_back(steerRule(p, f));
        }
    }
    guardNeighborDiscovery(pre);
    guardNeighborDiscovery(out);
    t.chains = {std::move(pre), std::move(out)};
    return t;
}

}  // namespace

std::string setName(const Policy& p, const std::string& what, Family f) {
    return p.name + "_" + what + suffix(f);
}

nft::Rule steerRule(const Policy& p, Family f) {
    nft::Rule r;
    r.family(f);
    // Only this policy skips the mark (a negated match, not an accept that would end the
    // chain for the policies after it).
    if (p.skipMark)
        r.mark(*p.skipMark, true);
    if (p.scoped())
        r.saddrIn(f, setName(p, "src", f));
    r.daddrIn(f, setName(p, "dst", f)).setMark(p.mark).counter();
    return r.withComment(p.name + ": steer ipv" + suffix(f));
}

RoutingRule markRule(const Policy& p, Family f) {
    RoutingRule r;
    r.family = f;
    r.priority = p.priority;
    r.fwmark = p.mark;
    r.table = p.table;
    return r;
}

Route defaultRoute(const Policy& p, Family f) {
    Route r;
    r.table = p.table;
    r.dst = Prefix::make(Address{f, {}}, 0);
    r.dev = p.interface;
    r.scopeLink = true;
    return r;
}

RoutingRule fallbackRule(const Policy& p, Family f) {
    RoutingRule r;
    r.family = f;
    r.priority = kFallbackPriorityFirst + (p.priority - kPriorityFirst);
    r.fwmark = p.skipMark;
    r.invert = true;  // fwmark is the only selector: matches iff (mark & mask) != value
    r.table = p.fallbackTable;
    return r;
}

std::vector<Route> fallbackRoutes(const Policy& p, Family f, const PrefixSet& destinations) {
    std::vector<Route> out;
    if (!p.fallsBack())
        return out;
    for (auto& prefix : destinations.prefixes(f)) {
        Route r;
        r.table = p.fallbackTable;
        r.dst = prefix;
        r.dev = p.interface;
        r.scopeLink = true;
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<Sysctl> routingSysctls(const RoutingSettings& settings) {
    bool v4 = false;
    for (auto& p : settings.policies)
        v4 = v4 || p.has(Family::V4);
    if (!v4)
        return {};
    std::vector<Sysctl> out{{kSrcValidMark, "1"}};
    if (settings.looseReversePath)
        out.push_back({kRpFilter, "2"});
    return out;
}

DesiredState buildRoutingState(const RoutingSettings& settings,
                               const std::vector<ResolvedPolicy>& resolved) {
    DesiredState d;
    if (settings.policies.empty())
        return d;
    d.tables.push_back(buildTable(settings, resolved));
    for (size_t i = 0; i < settings.policies.size(); ++i) {
        const Policy& p = settings.policies[i];
        for (Family f : p.families) {
            d.rules.push_back(markRule(p, f));
            d.routes.push_back(defaultRoute(p, f));
            if (p.fallsBack()) {
                d.rules.push_back(fallbackRule(p, f));
                auto routes = fallbackRoutes(p, f, resolved.at(i).destinations);
                d.routes.insert(d.routes.end(), routes.begin(), routes.end());
            }
        }
    }
    d.sysctls = routingSysctls(settings);
    return d;
}

}  // namespace weft::steer
