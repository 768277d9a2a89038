#include "routing_plugin.hpp"

#include "routing_schema.hpp"
#include "routing_state.hpp"
#include "weft/json.hpp"

namespace weft::steer {

namespace {

std::string ruleText(const RoutingRule& r) {
    return std::string(r.family == Family::V6 ? "ip -6 rule " : "ip rule ") +
           std::to_string(r.priority) + ": " + (r.invert ? "not " : "") + "fwmark " +
           r.fwmark->str() + " lookup " + std::to_string(r.table);
}

std::string routeText(const Route& r) {
    return std::string(r.family() == Family::V6 ? "ip -6 route " : "ip route ") + "table " +
           std::to_string(r.table) + ": default dev " + r.dev + " scope link";
}

// The fallback table holds one route per prefix (maybe 100,000): shown as a count.
std::string fallbackRoutesText(const Policy& p, Family f, size_t n) {
    return std::string(f == Family::V6 ? "ip -6 route " : "ip route ") + "table " +
           std::to_string(p.fallbackTable) + ": " + std::to_string(n) + " destination prefix" +
           (n == 1 ? "" : "es") + " dev " + p.interface + " scope link";
}

Json texts(const std::vector<PrefixOrSet>& items) {
    Json out = Json::array();
    for (auto& i : items)
        out.push_back(text(i));
    return out;
}

Json describePolicy(const Policy& p, const ResolvedPolicy& r) {
    Json j = Json::object();
    j["name"] = p.name;
    j["interface"] = p.interface;
    j["table"] = int64_t(p.table);
    j["fallbackTable"] = p.fallsBack() ? Json(int64_t(p.fallbackTable)) : Json();
    j["mark"] = p.mark.str();
    j["skipMark"] = p.skipMark ? Json(p.skipMark->str()) : Json();
    j["priority"] = int64_t(p.priority);
    j["family"] = p.families.size() == 2 ? "both" : p.has(Family::V4) ? "ipv4" : "ipv6";
    j["destinations"] = texts(p.destinations);
    j["sources"] = texts(p.sources);
    j["destinations4"] = int64_t(r.destinations.prefixes(Family::V4).size());
    j["destinations6"] = int64_t(r.destinations.prefixes(Family::V6).size());
    if (p.scoped()) {  // weftctl shows "scoped to ..." when these are present
        j["sources4"] = int64_t(r.sources.prefixes(Family::V4).size());
        j["sources6"] = int64_t(r.sources.prefixes(Family::V6).size());
    }
    j["steersHostTraffic"] = !p.scoped();
    Json rules = Json::array(), routes = Json::array();
    for (Family f : p.families) {
        rules.push_back(ruleText(markRule(p, f)));
        routes.push_back(routeText(defaultRoute(p, f)));
    }
    if (p.fallsBack()) {
        for (Family f : p.families) {
            rules.push_back(ruleText(fallbackRule(p, f)));
            routes.push_back(fallbackRoutesText(p, f, r.destinations.prefixes(f).size()));
        }
    }
    j["rules"] = rules;
    j["routes"] = routes;
    return j;
}

}  // namespace

PluginInfo RoutingPlugin::info() const {
    return {"fwmark-routing", "0.1.0", "",
            "steer destination sets into an interface by fwmark, optionally source-scoped"};
}

Schema RoutingPlugin::schema() const {
    return routingSchema();
}

void RoutingPlugin::validate(const Config& config) const {
    readRoutingSettings(config);
}

Lease RoutingPlugin::lease(const Config& config) const {
    RoutingSettings settings = readRoutingSettings(config);
    Lease l;
    l.nftTables = {kNftTable};
    // The fallback range even when no policy uses it: the lease stays the same across reloads.
    l.rulePriorities = {{kPriorityFirst, kPriorityLast},
                        {kFallbackPriorityFirst, kFallbackPriorityLast}};
    for (auto& p : settings.policies) {
        l.routingTables.emplace_back(p.table, p.table);
        if (p.fallsBack())
            l.routingTables.emplace_back(p.fallbackTable, p.fallbackTable);
        l.markBits |= p.mark.mask;
    }
    for (auto& s : routingSysctls(settings))
        l.sysctls.push_back(s.key);
    return l;
}

void RoutingPlugin::configure(const Config& config) {
    settings_ = readRoutingSettings(config);
}

void RoutingPlugin::start(Host& host) {
    sets_.attach(&host);
}

void RoutingPlugin::stop() {
    sets_.attach(nullptr);
}

DesiredState RoutingPlugin::desiredState() {
    std::vector<ResolvedPolicy> resolved;
    for (auto& p : settings_.policies)
        resolved.push_back({sets_.resolve(p.destinations), sets_.resolve(p.sources)});
    DesiredState d = buildRoutingState(settings_, resolved);
    // Hand out the sets kept from the last call, edited into the new ones: a one-prefix
    // change then costs the core one element, not a walk over every prefix.
    std::map<std::string, nft::ElementSet> kept;
    for (auto& t : d.tables) {
        for (auto& s : t.sets) {
            nft::ElementSet& k = kept[s.name] = std::move(kept_[s.name]);
            k.update(s.elements);
            s.elements = k;
        }
    }
    kept_ = std::move(kept);
    return d;
}

std::string RoutingPlugin::describe() const {
    Json policies = Json::array();
    for (auto& p : settings_.policies)
        policies.push_back(describePolicy(p, {sets_.peek(p.destinations), sets_.peek(p.sources)}));
    Json j = Json::object();
    j["looseReversePath"] = settings_.looseReversePath;
    j["policies"] = policies;
    return jsonText(j);
}

}  // namespace weft::steer
