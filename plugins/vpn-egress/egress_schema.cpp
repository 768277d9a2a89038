#include "egress_schema.hpp"

#include <string>

namespace weft::egress {

namespace {

using namespace weft::schema;

SectionSpec egressSection() {
    return SectionSpec{
        "Egress",
        false,
        {required(repeated(key("Clients", ValueType::String, {},
                               "source prefix, @plugin/set or interface name of clients"))),
         repeated(key("Exclude", ValueType::Prefix, {}, "destinations never sent to a VPN")),
         key("KillSwitch", ValueType::Bool, "yes",
             "clients' egress leaves only through a healthy tunnel, or is rejected"),
         range(key("Buckets", ValueType::Int, "256", "hash buckets gateways own"), 1, 4096),
         range(key("HashSeed", ValueType::Int, "0x5eed", "jhash seed"), 0, 0xffffffff),
         key("DNS", ValueType::Address, {}, "resolver reached through the tunnels"),
         key("Mark", ValueType::Mark, "0x00ff0000/0x00ff0000", "fwmark and ct mark bits owned"),
         range(key("Table", ValueType::Int, "1100", "routing table of the first gateway"), 1,
               0xfffffeff),
         range(key("Priority", ValueType::Int, std::to_string(kPriorityFirst),
                   "ip rule priority of the first gateway"),
               kPriorityFirst, kPriorityLast)},
        "who is sent out through the VPN gateways"};
}

SectionSpec gatewaySection() {
    return SectionSpec{
        "Gateway",
        true,
        {required(key("Interface", ValueType::Name, {}, "the tunnel interface")),
         key("PrivateKeyFile", ValueType::Path, {}, "WireGuard private key: weft owns the link"),
         repeated(key("Address", ValueType::String, {}, "tunnel address with prefix length")),
         key("PeerPublicKey", ValueType::Key, {}, "the provider's public key"),
         key("PeerEndpoint", ValueType::Endpoint, {}, "the provider's host:port"),
         range(key("MTU", ValueType::Int, "1420", "tunnel MTU"), 1280, 9000),
         range(key("Weight", ValueType::Int, "1", "share of the buckets"), 1, 1000),
         repeated(key("HealthCheck", ValueType::String, {},
                      "handshake, icmp:ADDR, tcp:ADDR:PORT or dns:ADDR")),
         key("Interval", ValueType::Duration, "1s", "between checks"),
         range(key("FailAfter", ValueType::Int, "3", "failed checks before down"), 1, 100),
         range(key("RecoverAfter", ValueType::Int, "3", "passed checks before up"), 1, 100)},
        "one VPN exit"};
}

SectionSpec forwardSection() {
    KeySpec proto = required(key("Protocol", ValueType::Enum, {}, "tcp or udp"));
    proto.choices = {"tcp", "udp"};
    return SectionSpec{
        "PortForward",
        true,
        {required(key("Gateway", ValueType::Name, {}, "gateway the port is forwarded on")), proto,
         required(key("Port", ValueType::Port, {}, "the provider's forwarded port")),
         required(key("To", ValueType::Endpoint, {}, "internal address:port"))},
        "a port the provider forwards to an internal service"};
}

}  // namespace

Schema egressSchema() {
    return Schema{{egressSection(), gatewaySection(), forwardSection()}};
}

}  // namespace weft::egress
