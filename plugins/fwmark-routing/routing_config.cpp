#include "routing_config.hpp"

#include <map>

namespace weft::steer {

Schema routingSchema() {
    auto key = [](std::string n, ValueType t, std::optional<std::string> def = {},
                  bool rep = false) {
        KeySpec k{std::move(n), t, rep};
        k.defaultValue = std::move(def);
        return k;
    };
    KeySpec iface = key("Interface", ValueType::Name);
    iface.required = true;
    KeySpec table = key("Table", ValueType::Int, "180");
    table.min = 1;
    table.max = 4294967295;
    KeySpec prio = key("Priority", ValueType::Int, std::to_string(kPriorityFirst));
    prio.min = kPriorityFirst;
    prio.max = kPriorityLast;
    KeySpec dst = key("Destinations", ValueType::PrefixOrSet, {}, true);
    dst.required = true;
    KeySpec fam = key("Family", ValueType::Enum, "both");
    fam.choices = {"ipv4", "ipv6", "both"};
    return Schema{
        {SectionSpec{"Routing", false, {key("LooseReversePath", ValueType::Bool, "no")}, "global"},
         SectionSpec{"Route",
                     true,
                     {iface, table, key("Mark", ValueType::Mark, "0x51821/0x51821"),
                      key("SkipMark", ValueType::Mark), prio, dst,
                      key("Sources", ValueType::PrefixOrSet, {}, true), fam},
                     "one steering policy"}}};
}

RoutingSettings readRoutingSettings(const Config& config) {
    RoutingSettings s;
    std::vector<ConfigError> errors;
    s.looseReversePath = config.section("Routing")->boolean("LooseReversePath");
    std::map<uint32_t, std::string> tables, prios;
    std::map<uint32_t, std::string> marks;
    for (auto* sec : config.named("Route")) {
        Policy p;
        p.name = sec->id;
        p.interface = sec->str("Interface");
        p.table = uint32_t(sec->integer("Table"));
        if (p.table >= 253 && p.table <= 255)
            errors.push_back(
                sec->error("Table", "tables 253-255 are the kernel's (default, main, local)"));
        p.mark = *sec->mark("Mark");
        p.skipMark = sec->mark("SkipMark");
        if (p.skipMark && *p.skipMark == p.mark)
            errors.push_back(sec->error("SkipMark", "equals Mark: nothing would be steered"));
        p.priority = uint32_t(sec->integer("Priority"));
        p.destinations = sec->prefixOrSets("Destinations");
        p.sources = sec->prefixOrSets("Sources");
        std::string fam = sec->str("Family");
        p.v4 = fam != "ipv6";
        p.v6 = fam != "ipv4";
        if (!tables.emplace(p.table, p.name).second)
            errors.push_back(sec->error("Table", "table " + std::to_string(p.table) +
                                                     " is also used by [Route " + tables[p.table] +
                                                     "]"));
        if (!prios.emplace(p.priority, p.name).second)
            errors.push_back(sec->error("Priority", "priority " + std::to_string(p.priority) +
                                                        " is also used by [Route " +
                                                        prios[p.priority] + "]"));
        for (auto& [m, other] : marks) {
            if (m & p.mark.mask)
                errors.push_back(
                    sec->error("Mark", "mark bits overlap those of [Route " + other + "]"));
        }
        marks.emplace(p.mark.mask, p.name);
        s.policies.push_back(p);
    }
    if (!errors.empty())
        throw ConfigException(errors);
    return s;
}

}  // namespace weft::steer
