#include "routing_settings.hpp"

#include <algorithm>
#include <map>

namespace weft::steer {

namespace {

std::string familyName(Family f) {
    return f == Family::V4 ? "IPv4" : "IPv6";
}

// WireGuard writes its FirewallMark as the whole mark word, and another manager may add bits
// of its own afterwards: a bare SkipMark therefore means "all of these bits are set" (its own
// bits are its mask), never "the word equals this value". value/mask is used as written.
std::optional<Mark> readSkipMark(const Section& s) {
    const Setting* setting = s.find("SkipMark");
    if (!setting)
        return std::nullopt;
    Mark m = std::get<Mark>(setting->value);
    if (setting->text.find('/') == std::string::npos)
        m.mask = m.value;
    return m;
}

Policy readPolicy(const Section& s) {
    Policy p;
    p.name = s.id;
    p.interface = s.str("Interface");
    p.table = uint32_t(s.integer("Table"));
    p.fallback = s.boolean("Fallback");
    p.fallbackTable = uint32_t(s.integer("FallbackTable"));
    p.mark = *s.mark("Mark");
    p.skipMark = readSkipMark(s);
    p.priority = uint32_t(s.integer("Priority"));
    p.destinations = s.prefixOrSets("Destinations");
    p.sources = s.prefixOrSets("Sources");
    std::string family = s.str("Family");
    if (family != "ipv6")
        p.families.push_back(Family::V4);
    if (family != "ipv4")
        p.families.push_back(Family::V6);
    return p;
}

// Checks that need only the policy itself.
void checkPolicy(const Section& s, const Policy& p, std::vector<ConfigError>& errors) {
    if (p.interface.size() > 15)
        errors.push_back(s.error("Interface", "interface names have at most 15 characters"));
    if (p.table >= 253 && p.table <= 255) {
        errors.push_back(
            s.error("Table", "tables 253-255 are the kernel's (default, main, local)"));
    }
    if (p.fallsBack() && p.fallbackTable >= 253 && p.fallbackTable <= 255) {
        errors.push_back(
            s.error("FallbackTable", "tables 253-255 are the kernel's (default, main, local)"));
    }
    // Table's default route behind the late rule would send every unroutable destination
    // into the tunnel (applications then time out instead of failing over at once).
    if (p.fallsBack() && p.fallbackTable == p.table) {
        errors.push_back(s.error("FallbackTable",
                                 "equals Table: the fallback table may hold "
                                 "only the destinations, never a default route"));
    }
    if (p.mark.value == 0) {
        errors.push_back(s.error(
            "Mark", "the value must not be 0: the ip rule would match every unmarked packet"));
    }
    if (p.skipMark && p.skipMark->value == 0) {
        errors.push_back(s.error("SkipMark",
                                 "the value must not be 0: WireGuard's own packets "
                                 "would not be told apart (use the mesh's "
                                 "FirewallMark)"));
    }
    if (p.skipMark && *p.skipMark == p.mark)
        errors.push_back(s.error("SkipMark", "equals Mark: nothing would ever be steered"));
    for (const char* key : {"Destinations", "Sources"}) {
        for (auto& item : s.prefixOrSets(key)) {
            if (item.prefix && !p.has(item.prefix->family())) {
                errors.push_back(s.error(key, familyName(item.prefix->family()) + " prefix " +
                                                  item.prefix->str() +
                                                  " in a policy with Family=" + s.str("Family")));
            }
        }
    }
}

// Checks between policies: each table (Table= or FallbackTable=), priority and mark bit belongs
// to one policy.
class ClashCheck {
  public:
    void add(const Section& s, const Policy& p, std::vector<ConfigError>& errors) {
        if (auto it = tables_.find(p.table); it != tables_.end())
            errors.push_back(s.error("Table", "table " + std::to_string(p.table) + used(it)));
        if (p.fallsBack()) {
            if (auto it = tables_.find(p.fallbackTable); it != tables_.end()) {
                errors.push_back(s.error("FallbackTable",
                                         "table " + std::to_string(p.fallbackTable) + used(it)));
            }
        }
        if (auto it = prios_.find(p.priority); it != prios_.end()) {
            errors.push_back(
                s.error("Priority", "priority " + std::to_string(p.priority) + used(it)));
        }
        for (auto& [mask, other] : masks_) {
            if (mask & p.mark.mask) {
                errors.push_back(s.error("Mark", "mark bits of " + p.mark.str() +
                                                     " are also written by [Route " + other + "]"));
            }
        }
        tables_.emplace(p.table, p.name);
        if (p.fallsBack())
            tables_.emplace(p.fallbackTable, p.name);
        prios_.emplace(p.priority, p.name);
        masks_.emplace_back(p.mark.mask, p.name);
    }

  private:
    static std::string used(std::map<uint32_t, std::string>::const_iterator it) {
        return " is also used by [Route " + it->second + "]";
    }
    std::map<uint32_t, std::string> tables_, prios_;
    std::vector<std::pair<uint32_t, std::string>> masks_;
};

}  // namespace

bool Policy::has(Family f) const {
    return std::find(families.begin(), families.end(), f) != families.end();
}

RoutingSettings readRoutingSettings(const Config& config) {
    RoutingSettings settings;
    if (auto* global = config.section("Routing"))
        settings.looseReversePath = global->boolean("LooseReversePath");
    std::vector<ConfigError> errors;
    ClashCheck clashes;
    for (auto* s : config.named("Route")) {
        Policy p = readPolicy(*s);
        checkPolicy(*s, p, errors);
        clashes.add(*s, p, errors);
        settings.policies.push_back(std::move(p));
    }
    if (!errors.empty())
        throw ConfigException(std::move(errors));
    return settings;
}

std::string text(const PrefixOrSet& item) {
    return item.prefix ? item.prefix->str() : "@" + item.setName;
}

}  // namespace weft::steer
