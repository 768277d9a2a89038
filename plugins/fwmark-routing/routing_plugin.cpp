#include "routing_plugin.hpp"

#include "weft/json.hpp"

namespace weft::steer {

static const char* kTable = "weft_fwmark_routing";

Lease RoutingPlugin::lease(const Config& config) const {
    Lease l;
    l.nftTables = {kTable};
    l.rulePriorities = {{kPriorityFirst, kPriorityLast}};
    l.sysctls = {"net.ipv4.conf.all.src_valid_mark", "net.ipv4.conf.all.rp_filter"};
    for (auto& p : readRoutingSettings(config).policies) {
        l.routingTables.emplace_back(p.table, p.table);
        l.markBits |= p.mark.mask;
    }
    return l;
}

PrefixSet RoutingPlugin::resolve(const std::vector<PrefixOrSet>& items) const {
    std::vector<Prefix> all;  // one normalization for the whole list, not one per item
    for (auto& i : items) {
        if (i.prefix) {
            all.push_back(*i.prefix);
        } else if (auto set = host_ ? host_->resolveSet(i.setName) : std::nullopt) {
            all.insert(all.end(), set->prefixes().begin(), set->prefixes().end());
        }
    }
    return PrefixSet(all);
}

static nft::Set intervalSet(const std::string& name, Family f, const PrefixSet& members) {
    nft::Set s{name, f == Family::V4 ? nft::DataType::Ipv4Addr : nft::DataType::Ipv6Addr, {}, true};
    for (auto& p : members.prefixes(f))
        s.elements.push_back({p, {}});
    return s;
}

DesiredState RoutingPlugin::desiredState() {
    DesiredState d;
    nft::Table t{nft::TableFamily::Inet, kTable, {}, {}};
    nft::Chain pre{
        "prerouting", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Prerouting, -150}, {}};
    nft::Chain out{"output", nft::BaseChain{nft::ChainType::Route, nft::Hook::Output, -150}, {}};
    for (auto& p : settings_.policies) {
        PrefixSet dst = resolve(p.destinations), src = resolve(p.sources);
        bool scoped = !p.sources.empty();
        for (Family f : {Family::V4, Family::V6}) {
            if ((f == Family::V4 && !p.v4) || (f == Family::V6 && !p.v6))
                continue;
            std::string sfx = f == Family::V4 ? "4" : "6";
            // Sets always exist, even empty: growing Destinations changes elements, never rules.
            t.sets.push_back(intervalSet(p.name + "_dst" + sfx, f, dst));
            if (scoped)
                t.sets.push_back(intervalSet(p.name + "_src" + sfx, f, src));
            nft::Rule steer;
            steer.family(f);
            if (scoped)
                steer.saddrIn(f, p.name + "_src" + sfx);
            steer.daddrIn(f, p.name + "_dst" + sfx).setMark(p.mark).counter();
            steer.withComment(p.name + ": steer ipv" + sfx);
            if (p.skipMark) {
                nft::Rule skip =
                    nft::Rule{}.mark(*p.skipMark).accept().withComment(p.name + ": skip ipv" + sfx);
                skip.exprs.insert(skip.exprs.begin(), nft::MatchFamily{f});
                pre.rules.push_back(skip);
                if (!scoped)
                    out.rules.push_back(skip);
            }
            if (f == Family::V6) {
                // Never steer neighbor discovery: a peer's underlay address in Destinations
                // would otherwise send our neighbor advertisements into the tunnel and break
                // IPv6 on the link. ICMPv6 type and code are the first 16 bits of the header:
                // types 133-137 (router/neighbor solicitation/advertisement, redirect), code 0.
                nft::Rule nd =
                    nft::Rule{}.family(f).l4proto(58).sport(PortRange{133 << 8, 137 << 8}).accept();
                nd.withComment(p.name + ": never steer neighbor discovery");
                pre.rules.push_back(nd);
                out.rules.push_back(nd);
            }
            pre.rules.push_back(steer);
            // With Sources= the host's own traffic is not steered: it reaches remote pods
            // through main, so peers need not accept host addresses (the Calico fix).
            if (!scoped)
                out.rules.push_back(steer);
            RoutingRule rule;
            rule.family = f;
            rule.priority = p.priority;
            rule.fwmark = p.mark;
            rule.table = p.table;
            d.rules.push_back(rule);
            Route r;
            r.table = p.table;
            r.dst = Prefix::make(
                f == Family::V4 ? *Address::parse("0.0.0.0") : *Address::parse("::"), 0);
            r.dev = p.interface;
            r.scopeLink = true;
            d.routes.push_back(r);
        }
    }
    t.chains = {pre, out};
    d.tables.push_back(t);
    d.sysctls.push_back({"net.ipv4.conf.all.src_valid_mark", "1"});
    if (settings_.looseReversePath)
        d.sysctls.push_back({"net.ipv4.conf.all.rp_filter", "2"});
    return d;
}

std::string RoutingPlugin::describe() const {
    Json policies = Json::array();
    for (auto& p : settings_.policies) {
        PrefixSet dst = resolve(p.destinations), src = resolve(p.sources);
        Json j = Json::object();
        j["name"] = p.name;
        j["interface"] = p.interface;
        j["table"] = int64_t(p.table);
        j["mark"] = p.mark.str();
        j["skipMark"] = p.skipMark ? p.skipMark->str() : "";
        j["priority"] = int64_t(p.priority);
        j["destinations4"] = int64_t(dst.prefixes(Family::V4).size());
        j["destinations6"] = int64_t(dst.prefixes(Family::V6).size());
        if (!p.sources.empty()) {
            j["sources4"] = int64_t(src.prefixes(Family::V4).size());
            j["sources6"] = int64_t(src.prefixes(Family::V6).size());
        }
        Json rules = Json::array();
        for (auto* fam : {"", "-6 "}) {
            if ((*fam == 0 && !p.v4) || (*fam != 0 && !p.v6))
                continue;
            rules.push(std::string("ip ") + fam + "rule " + std::to_string(p.priority) +
                       ": fwmark " + p.mark.str() + " lookup " + std::to_string(p.table) +
                       "; table " + std::to_string(p.table) + ": default dev " + p.interface);
        }
        j["rules"] = rules;
        policies.push(j);
    }
    Json j = Json::object();
    j["policies"] = policies;
    return j.dump();
}

}  // namespace weft::steer
