#include "routing_schema.hpp"

#include <string>

namespace weft::steer {

namespace {

using namespace weft::schema;

SectionSpec globalSection() {
    return SectionSpec{
        "Routing",
        false,
        {key("LooseReversePath", ValueType::Bool, "no",
             "also set net.ipv4.conf.all.rp_filter=2 (loose) for replies arriving on the tunnel")},
        "settings for every policy"};
}

SectionSpec routeSection() {
    std::string prio = std::to_string(kPriorityFirst);
    return SectionSpec{
        "Route",
        true,
        {required(key("Interface", ValueType::Name, {}, "where steered traffic goes")),
         range(key("Table", ValueType::Int, "180", "routing table with the default route"), 1,
               4294967295),
         key("Fallback", ValueType::Bool, "yes",
             "route host traffic to Destinations into Interface when main has no route for it"),
         range(key("FallbackTable", ValueType::Int, "181",
                   "routing table with one route per destination prefix (Fallback=yes)"),
               1, 4294967295),
         key("Mark", ValueType::Mark, "0x51821/0x51821",
             "mark written (only the bits of its mask) and looked up"),
         key("SkipMark", ValueType::Mark, kMeshFirewallMark,
             "packets with all these bits set (WireGuard's own) are never steered"),
         range(key("Priority", ValueType::Int, prio, "ip rule priority"), kPriorityFirst,
               kPriorityLast),
         required(repeated(
             key("Destinations", ValueType::PrefixOrSet, {}, "prefixes or @plugin/set to steer"))),
         repeated(key("Sources", ValueType::PrefixOrSet, {},
                      "only forwarded traffic from these sources is steered")),
         choices(key("Family", ValueType::Enum, "both", "ipv4, ipv6 or both"),
                 {"ipv4", "ipv6", "both"})},
        "one steering policy: destinations -> mark -> ip rule -> table -> interface"};
}

}  // namespace

Schema routingSchema() {
    return Schema{{globalSection(), routeSection()}};
}

}  // namespace weft::steer
