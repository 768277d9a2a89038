#include "egress_state.hpp"

namespace weft::egress {

using namespace weft::nft;

namespace {

Prefix P(const char* s) {
    return *Prefix::parse(s);
}

Set intervalSet(const std::string& name, DataType type, const std::vector<Prefix>& prefixes) {
    Set s{name, type, std::nullopt, true, std::nullopt, {}};
    for (auto& p : prefixes)
        s.elements.insert(Element{p, {}});
    return s;
}

Set nameSet(const std::string& name, const std::vector<std::string>& names) {
    Set s{name, DataType::IfName, std::nullopt, false, std::nullopt, {}};
    for (auto& n : names)
        s.elements.insert(Element{n, {}});
    return s;
}

// The three ways into a per-client chain: source prefix (per family) or input interface.
std::vector<Rule> fromClients(const std::string& chain) {
    return {Rule{}.family(Family::V4).saddrIn(Family::V4, "clients4").jump(chain),
            Rule{}.family(Family::V6).saddrIn(Family::V6, "clients6").jump(chain),
            Rule{}.in({Field::IifName}, "client_ifs").jump(chain)};
}

Rule forFamily(Family f) {
    return Rule{}.family(f).daddrIn(f, f == Family::V4 ? "egress4" : "egress6");
}

// prerouting (mangle): mark port-forwarded flows by their gateway, balance new client flows
// over the buckets, and give every client packet its flow's mark back.
std::vector<Chain> balanceChains(const Settings& s) {
    Chain pre{"pre", BaseChain{ChainType::Filter, Hook::Prerouting, -150, Verdict::Accept}, {}};
    // A port forward's replies leave by the gateway they came in by; such flows are never
    // balanced (`ct status dnat` before everything else).
    // Only replies that do not come from a tunnel: a redirected DNS query is DNATed too, and
    // its answer arrives on the tunnel; marked, it would be routed back into it.
    pre.rules.push_back(Rule{}
                            .add(MatchCtStatus{0x20})
                            .add(MatchCtDirection{true})
                            .in({Field::IifName}, "tunnels", true)
                            .add(MarkFromCt{s.mark.mask})
                            .withComment("port forward replies: their gateway"));
    pre.rules.push_back(Rule{}.add(MatchCtStatus{0x20}).ret());
    for (auto& g : s.gateways) {
        pre.rules.push_back(Rule{}
                                .iif(g.interface)
                                .ctState(CtNew)
                                .setCtMark(Mark{g.mark, s.mark.mask})
                                .withComment(g.name + ": inbound flows"));
    }
    for (auto& r : fromClients("client_pre"))
        pre.rules.push_back(r);

    Chain client{"client_pre", std::nullopt, {}};
    for (Family f : {Family::V4, Family::V6}) {
        HashMark h;
        h.kind = HashMark::Kind::Jhash;
        h.fields =
            f == Family::V4
                ? std::vector<Field>{Field::IpSaddr, Field::IpDaddr, Field::Sport, Field::Dport}
                : std::vector<Field>{Field::Ip6Saddr, Field::Ip6Daddr, Field::Sport, Field::Dport};
        h.modulus = s.buckets;
        h.seed = s.seed;
        h.map = "buckets";
        h.target = MarkTarget::Ct;
        h.mask = s.mark.mask;
        // A flow without a gateway gets one, once: not `ct state new`, which holds for every
        // packet of a flow that has seen no reply yet (a UDP stream, SYN retries) and would
        // re-hash it onto whichever gateway owns its bucket now.
        client.rules.push_back(forFamily(f)
                                   .ctMark(Mark{0, s.mark.mask})
                                   .add(h)
                                   .withComment(f == Family::V4 ? "balance new ipv4 flows"
                                                                : "balance new ipv6 flows"));
    }
    client.rules.push_back(Rule{}
                               .ctMark(Mark{0, s.mark.mask}, true)
                               .add(MarkFromCt{s.mark.mask})
                               .withComment("restore the flow's gateway"));
    return {pre, client};
}

Rule rejectFor(Family f, bool tcp) {
    Rule r = forFamily(f);
    if (tcp)
        return r.l4proto(6).counter("killswitch").reject(Reject::Kind::TcpReset);
    return r.counter("killswitch").reject(Reject::Kind::AdminProhibited);
}

// forward: MSS clamp into the tunnels, the kill switch, DNS of the other family refused.
std::vector<Chain> forwardChains(const Settings& s) {
    Chain fwd{"fwd", BaseChain{ChainType::Filter, Hook::Forward, 0, Verdict::Accept}, {}};
    fwd.rules.push_back(Rule{}
                            .in({Field::OifName}, "tunnels")
                            .add(ClampMss{})
                            .withComment("clamp mss into the tunnels"));
    Chain client{"client_fwd", std::nullopt, {}};
    if (s.dns) {
        // DNS of the resolver's family was redirected to it; the other family's is refused.
        Family other = s.dns->family == Family::V4 ? Family::V6 : Family::V4;
        for (uint8_t proto : {uint8_t(17), uint8_t(6)}) {
            client.rules.push_back(
                Rule{}
                    .family(other)
                    .l4proto(proto)
                    .dport(PortRange{53, 53})
                    .reject(proto == 6 ? Reject::Kind::TcpReset : Reject::Kind::AdminProhibited)
                    .withComment("dns only through the resolver"));
        }
    }
    if (s.killSwitch) {
        for (Family f : {Family::V4, Family::V6}) {
            client.rules.push_back(forFamily(f)
                                       .in({Field::OifName}, "healthy")
                                       .accept()
                                       .withComment("out through a healthy tunnel"));
        }
        for (Family f : {Family::V4, Family::V6}) {
            client.rules.push_back(rejectFor(f, true).withComment("kill switch"));
            client.rules.push_back(rejectFor(f, false).withComment("kill switch"));
        }
    }
    if (!client.rules.empty()) {
        for (auto& r : fromClients("client_fwd"))
            fwd.rules.push_back(r);
    }
    return {fwd, client};
}

// nat: port forwards, DNS redirection, masquerade out of every tunnel.
std::vector<Chain> natChains(const Settings& s, const EgressInputs& in) {
    Chain pre{"nat_pre", BaseChain{ChainType::Nat, Hook::Prerouting, -100, Verdict::Accept}, {}};
    for (auto& f : s.forwards) {
        const Gateway* g = s.gateway(f.gateway);
        auto port = in.forwardPorts.count(f.name) ? in.forwardPorts.at(f.name) : f.port;
        Family fam = f.to.address.family;
        pre.rules.push_back(Rule{}
                                .family(fam)
                                .iif(g->interface)
                                .l4proto(f.protocol)
                                .dport(PortRange{port, port})
                                .add(Nat{Nat::Kind::Dnat, fam, f.to.address, f.to.port})
                                .withComment("port forward " + f.name));
    }
    if (s.dns) {
        Family f = s.dns->family;
        for (uint8_t proto : {uint8_t(17), uint8_t(6)}) {
            Rule base = Rule{}
                            .family(f)
                            .daddr(Prefix::host(*s.dns), true)
                            .l4proto(proto)
                            .dport(PortRange{53, 53})
                            .add(Nat{Nat::Kind::Dnat, f, *s.dns, 53})
                            .withComment("dns to the resolver");
            Rule bySource = base, byInterface = base;
            bySource.exprs.insert(bySource.exprs.begin() + 1,
                                  MatchAddr{Dir::Src, f, std::nullopt,
                                            f == Family::V4 ? "clients4" : "clients6", false});
            byInterface.exprs.insert(byInterface.exprs.begin() + 1,
                                     MatchSet{{Field::IifName}, "client_ifs", false});
            pre.rules.push_back(bySource);
            pre.rules.push_back(byInterface);
        }
    }
    Chain post{"nat_post", BaseChain{ChainType::Nat, Hook::Postrouting, 100, Verdict::Accept}, {}};
    post.rules.push_back(
        Rule{}.in({Field::OifName}, "tunnels").add(Nat{}).withComment("masquerade out"));
    return {pre, post};
}

}  // namespace

PrefixSet egressDestinations(const std::vector<Prefix>& exclude) {
    PrefixSet all{P("0.0.0.0/0"), P("::/0")};
    // Whole reserved blocks rather than single addresses, so the sets stay a few prefixes:
    // "this network", loopback, link-local, multicast, class E (with the broadcast address);
    // IPv6's ::/96 (unspecified, loopback, the old v4-compatible block), v4-mapped, link-local
    // and multicast. NAT64 (64:ff9b::/96) goes out the tunnels like any destination.
    PrefixSet never{P("0.0.0.0/8"),     P("127.0.0.0/8"), P("169.254.0.0/16"),
                    P("224.0.0.0/4"),   P("240.0.0.0/4"), P("::/96"),
                    P("::ffff:0:0/96"), P("fe80::/10"),   P("ff00::/8")};
    return all.subtract(never).subtract(PrefixSet(exclude));
}

std::vector<Sysctl> egressSysctls() {
    return {{"net.ipv4.ip_forward", "1"},
            {"net.ipv6.conf.all.forwarding", "1"},
            {"net.ipv4.conf.all.rp_filter", "2"}};
}

DesiredState egressState(const EgressInputs& in) {
    const Settings& s = *in.settings;
    PrefixSet clients = PrefixSet(s.clientPrefixes).unite(in.clientSets);
    PrefixSet egress = egressDestinations(s.exclude);
    std::vector<std::string> tunnels, healthy;
    for (auto& g : s.gateways) {
        tunnels.push_back(g.interface);
        if (in.healthy.count(g.name))
            healthy.push_back(g.interface);
    }
    Set buckets{"buckets", DataType::Mark, DataType::Mark, false, std::nullopt, {}};
    for (uint32_t b = 0; b < in.owners->size(); ++b) {
        const Gateway* g = s.gateway(in.owners->owner(b));
        if (g && in.healthy.count(g->name))
            buckets.elements.insert(Element{b, g->mark});
    }

    Table t{TableFamily::Inet, kTable, {}, {}};
    t.sets = {intervalSet("clients4", DataType::Ipv4Addr, clients.prefixes(Family::V4)),
              intervalSet("clients6", DataType::Ipv6Addr, clients.prefixes(Family::V6)),
              nameSet("client_ifs", s.clientInterfaces),
              intervalSet("egress4", DataType::Ipv4Addr, egress.prefixes(Family::V4)),
              intervalSet("egress6", DataType::Ipv6Addr, egress.prefixes(Family::V6)),
              nameSet("tunnels", tunnels),
              nameSet("healthy", healthy),
              buckets};
    t.counters = {"killswitch"};
    for (auto* group : {&balanceChains, &forwardChains}) {
        for (auto& c : (*group)(s))
            t.chains.push_back(std::move(c));
    }
    for (auto& c : natChains(s, in))
        t.chains.push_back(std::move(c));

    DesiredState d;
    d.tables.push_back(std::move(t));
    for (auto& g : s.gateways) {
        for (Family f : {Family::V4, Family::V6}) {
            RoutingRule r;
            r.family = f;
            r.priority = g.priority;
            r.fwmark = Mark{g.mark, s.mark.mask};
            r.table = g.table;
            d.rules.push_back(r);
            // A route needs its device: a tunnel that is not there yet gets its route later.
            if (!g.managed && !in.links.count(g.interface))
                continue;
            Route route;
            route.table = g.table;
            route.dst = f == Family::V4 ? P("0.0.0.0/0") : P("::/0");
            route.dev = g.interface;
            route.scopeLink = true;
            d.routes.push_back(route);
        }
        if (g.managed && in.keys.count(g.name)) {
            WireguardLink l;
            l.name = g.interface;
            l.privateKey = in.keys.at(g.name);
            l.mtu = g.mtu;
            l.addresses = g.addresses;
            WireguardPeer peer;
            peer.publicKey = g.peerPublicKey;
            peer.endpoint = g.peerEndpoint;
            peer.allowedIps = {P("0.0.0.0/0"), P("::/0")};
            // Keepalives keep the handshake fresh, which the handshake check reads.
            peer.persistentKeepalive = std::chrono::seconds(25);
            l.peers = {peer};
            d.wireguard.push_back(std::move(l));
        }
    }
    d.sysctls = egressSysctls();
    return d;
}

}  // namespace weft::egress
