// egressState(): the inet table (sets, bucket map, hash and restore rules, kill switch, NAT),
// the ip rules and routes per gateway, and the WireGuard links weft owns.
#include <gmock/gmock.h>

#include "egress_fixture.hpp"
#include "egress_settings.hpp"
#include "egress_state.hpp"

namespace weft::egress::test {
namespace {

using namespace weft::nft;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class StateTest : public TempDirTest {
  protected:
    void SetUp() override {
        TempDirTest::SetUp();
        peer = *wg::publicKeyFor(wg::generatePrivateKey());
        // p1 (weft's WireGuard, weight 1), ovpn (an existing tun, weight 1), p3 (weight 2).
        text =
            "[Egress]\nClients=10.77.0.0/24\nClients=fd77::/64\nClients=lan0\n"
            "Exclude=10.0.0.0/8\nExclude=192.168.0.0/16\nExclude=fd00::/8\n"
            "[Gateway p1]\nInterface=wg-p1\nPrivateKeyFile=" +
            keyFile("p1.key") +
            "\nAddress=10.64.0.2/32\nAddress=fd64::2/128\nPeerPublicKey=" + peer +
            "\nPeerEndpoint=198.51.100.1:51820\nMTU=1380\n"
            "[Gateway ovpn]\nInterface=tun0\nHealthCheck=icmp:10.8.0.1\n"
            "[Gateway p3]\nInterface=wg-p3\nWeight=2\nPrivateKeyFile=" +
            keyFile("p3.key") + "\nAddress=10.65.0.2/32\nPeerPublicKey=" + peer +
            "\nPeerEndpoint=203.0.113.3:51820\n"
            "[PortForward web]\nGateway=p3\nProtocol=tcp\nPort=40123\nTo=10.77.0.10:8080\n";
    }
    DesiredState build(const std::string& extraEgress = "") {
        std::string t = text;
        t.insert(t.find("[Gateway p1]"), extraEgress);
        settings = readSettings(parse(t));
        owners = BucketOwners(settings.buckets);
        std::map<std::string, uint32_t> weights;
        for (auto& g : settings.gateways) {
            if (healthy.count(g.name))
                weights[g.name] = g.weight;
        }
        owners.rebalance(weights);
        EgressInputs in;
        in.settings = &settings;
        in.owners = &owners;
        in.healthy = healthy;
        in.forwardPorts = forwardPorts;
        in.keys = {{"p1", keys.at("p1.key")}, {"p3", keys.at("p3.key")}};
        in.clientSets = clientSets;
        in.links = links;
        return egressState(in);
    }
    const Table& table(const DesiredState& d) {
        EXPECT_EQ(d.tables.size(), 1u);
        EXPECT_EQ(d.tables.at(0).name, "weft_vpn_egress");
        EXPECT_EQ(d.tables.at(0).family, TableFamily::Inet);
        return d.tables.at(0);
    }
    const Gateway& gw(const std::string& name) { return *settings.gateway(name); }

    std::string text, peer;
    Settings settings;
    BucketOwners owners;
    std::set<std::string> healthy{"p1", "ovpn", "p3"};
    std::map<std::string, uint16_t> forwardPorts;
    PrefixSet clientSets;
    std::set<std::string> links{"wg-p1", "tun0", "wg-p3"};
};

TEST_F(StateTest, ClientAndTunnelSets) {
    clientSets = PrefixSet{P("10.78.0.0/24"), P("fd78::/64")};
    healthy = {"p1", "p3"};
    auto d = build();
    auto& t = table(d);
    EXPECT_EQ(prefixesOf(setOf(t, "clients4")), (PrefixSet{P("10.77.0.0/24"), P("10.78.0.0/24")}));
    EXPECT_EQ(prefixesOf(setOf(t, "clients6")), (PrefixSet{P("fd77::/64"), P("fd78::/64")}));
    EXPECT_TRUE(setOf(t, "clients4").interval);
    EXPECT_EQ(setOf(t, "clients4").keyType, DataType::Ipv4Addr);
    EXPECT_EQ(setOf(t, "clients6").keyType, DataType::Ipv6Addr);
    EXPECT_EQ(namesOf(setOf(t, "client_ifs")), std::vector<std::string>{"lan0"});
    EXPECT_EQ(setOf(t, "client_ifs").keyType, DataType::IfName);
    EXPECT_THAT(namesOf(setOf(t, "tunnels")),
                ::testing::UnorderedElementsAre("wg-p1", "tun0", "wg-p3"));
    EXPECT_THAT(namesOf(setOf(t, "healthy")), ::testing::UnorderedElementsAre("wg-p1", "wg-p3"));
}

// egress4/egress6 are checked as properties, not rebuilt the way the code builds them: they
// and the excluded/never-egress ranges partition the address space.
TEST_F(StateTest, EgressIsEverythingButExcludeAndTheReservedBlocks) {
    auto d = build();
    auto& t = table(d);
    PrefixSet e4 = prefixesOf(setOf(t, "egress4")), e6 = prefixesOf(setOf(t, "egress6"));
    EXPECT_TRUE(setOf(t, "egress4").interval);
    EXPECT_TRUE(setOf(t, "egress6").interval);
    EXPECT_THAT(e6.prefixes(Family::V4), IsEmpty());
    EXPECT_THAT(e4.prefixes(Family::V6), IsEmpty());
    for (const char* out : {"8.8.8.8", "1.1.1.1", "11.0.0.1", "172.16.0.1", "192.167.255.255",
                            "192.169.0.0", "223.255.255.255", "9.255.255.255", "100.64.0.1"})
        EXPECT_TRUE(e4.contains(A(out))) << out;
    for (const char* in : {"10.0.0.1", "10.255.255.255", "192.168.1.1", "127.0.0.1", "169.254.1.1",
                           "224.0.0.1", "239.255.255.250", "255.255.255.255", "0.0.0.0"})
        EXPECT_FALSE(e4.contains(A(in))) << in;
    for (const char* out :
         {"2001:4860:4860::8888", "2606:4700::1111", "fc00::1", "fe00::1", "100::1", "2001:db8::1"})
        EXPECT_TRUE(e6.contains(A(out))) << out;
    for (const char* in :
         {"fd00::1", "fdff::1", "::1", "fe80::1", "febf::1", "ff02::1", "::", "::ffff:8.8.8.8"})
        EXPECT_FALSE(e6.contains(A(in))) << in;
    // Egress plus Exclude= plus the documented reserved blocks (0/8, loopback, link-local,
    // multicast, 240/4, ::/96, ::ffff:0:0/96) is the whole address space, and egress overlaps
    // none of them.
    PrefixSet never{P("10.0.0.0/8"),  P("192.168.0.0/16"), P("fd00::/8"),    P("0.0.0.0/8"),
                    P("127.0.0.0/8"), P("169.254.0.0/16"), P("224.0.0.0/4"), P("240.0.0.0/4"),
                    P("::/96"),       P("::ffff:0:0/96"),  P("fe80::/10"),   P("ff00::/8")};
    PrefixSet all = e4.unite(e6).unite(never);
    EXPECT_EQ(all, (PrefixSet{P("0.0.0.0/0"), P("::/0")}));
    EXPECT_TRUE(e4.unite(e6).intersect(never).empty());
}

// The NAT64 prefixes, 64:ff9b::/96 (RFC 6052) and 64:ff9b:1::/48 (RFC 8215), reach the
// internet: a client behind DNS64 sends its IPv4-only destinations there, so they must go
// through the tunnels and meet the kill switch like any other.
TEST_F(StateTest, Nat64DestinationsGoThroughTheTunnels) {
    auto d = build();
    PrefixSet e6 = prefixesOf(setOf(table(d), "egress6"));
    EXPECT_TRUE(e6.contains(A("64:ff9b::808:808")));
    EXPECT_TRUE(e6.contains(A("64:ff9b:1::1")));
}

TEST_F(StateTest, BucketMapOnlyMapsToHealthyGatewaysMarks) {
    auto all = bucketMap(build());
    EXPECT_EQ(all.size(), 256u);
    std::map<uint32_t, int> perMark;
    for (auto& [b, mark] : all)
        ++perMark[mark];
    EXPECT_EQ(perMark, (std::map<uint32_t, int>{{0x10000, 64}, {0x20000, 64}, {0x30000, 128}}));
    auto state = build();
    auto& map = setOf(table(state), "buckets");
    EXPECT_EQ(map.keyType, DataType::Mark);
    EXPECT_EQ(map.dataType, DataType::Mark);

    // Owners that are not healthy (a stale map, as after a restore) are left out.
    build();  // settings
    EgressInputs in;
    in.settings = &settings;
    BucketOwners stale(256);
    stale.rebalance({{"p1", 1}, {"ovpn", 1}, {"p3", 2}});
    in.owners = &stale;
    in.healthy = {"p1", "p3"};
    auto partial = bucketMap(egressState(in));
    EXPECT_EQ(partial.size(), 192u);
    for (auto& [b, mark] : partial)
        EXPECT_NE(mark, gw("ovpn").mark) << "bucket " << b;
    in.healthy = {};
    EXPECT_TRUE(bucketMap(egressState(in)).empty()) << "none up: every new flow meets the kill "
                                                       "switch";
}

TEST_F(StateTest, NewFlowsAreHashedIntoTheMapUnderTheMaskAndRestored) {
    auto d = build("Buckets=512\nHashSeed=0xabc\n");
    auto& t = table(d);
    auto hashes = rulesWith<HashMark>(t);
    ASSERT_EQ(hashes.size(), 2u) << "one per family";
    std::set<std::vector<Field>> fields;
    for (auto& [rule, h] : hashes) {
        EXPECT_EQ(h->kind, HashMark::Kind::Jhash);
        EXPECT_EQ(h->modulus, 512u);
        EXPECT_EQ(h->seed, 0xabcu);
        EXPECT_EQ(h->map, "buckets");
        EXPECT_EQ(h->target, MarkTarget::Ct);
        EXPECT_EQ(h->mask, 0x00ff0000u) << "other managers' ct mark bits survive";
        // Only a flow without a gateway is hashed, once (a flow's later packets, even before
        // its first reply, keep the gateway it got).
        auto* unmarked = exprOf<MatchCtMark>(*rule);
        ASSERT_NE(unmarked, nullptr);
        EXPECT_EQ(unmarked->mark, (Mark{0, 0x00ff0000}));
        EXPECT_FALSE(unmarked->negate);
        auto* dst = exprOf<MatchAddr>(*rule);
        ASSERT_NE(dst, nullptr);
        EXPECT_EQ(dst->set, dst->family == Family::V4 ? "egress4" : "egress6");
        fields.insert(h->fields);
    }
    EXPECT_EQ(fields, (std::set<std::vector<Field>>{
                          {Field::IpSaddr, Field::IpDaddr, Field::Sport, Field::Dport},
                          {Field::Ip6Saddr, Field::Ip6Daddr, Field::Sport, Field::Dport}}));
    auto restores = rulesWith<MarkFromCt>(t);
    ASSERT_FALSE(restores.empty());
    for (auto& [rule, m] : restores)
        EXPECT_EQ(m->mask, 0x00ff0000u);
    // Port-forwarded flows are marked by the tunnel they came in on.
    auto sets = rulesWith<SetCtMark>(t);
    std::set<std::pair<std::string, uint32_t>> inbound;
    for (auto& [rule, m] : sets) {
        EXPECT_EQ(m->mark.mask, 0x00ff0000u);
        inbound.emplace(exprOf<MatchIfName>(*rule)->name, m->mark.value);
    }
    EXPECT_EQ(inbound, (std::set<std::pair<std::string, uint32_t>>{
                           {"wg-p1", 0x10000}, {"tun0", 0x20000}, {"wg-p3", 0x30000}}));
}

TEST_F(StateTest, KillSwitchRejectsWhatNoHealthyTunnelTakes) {
    auto d = build();
    auto& t = table(d);
    EXPECT_THAT(t.counters, Contains("killswitch"));
    const Chain* fwd = chainOf(t, "client_fwd");
    ASSERT_NE(fwd, nullptr);
    int accepts = 0, resets = 0, prohibits = 0;
    for (auto& r : fwd->rules) {
        auto* set = exprOf<MatchSet>(r);
        if (set && set->set == "healthy" && exprOf<VerdictStmt>(r) &&
            exprOf<VerdictStmt>(r)->verdict == Verdict::Accept)
            ++accepts;
        if (auto* rej = exprOf<Reject>(r)) {
            EXPECT_NE(exprOf<MatchAddr>(r), nullptr) << "only egress destinations are rejected";
            rej->kind == Reject::Kind::TcpReset ? ++resets : ++prohibits;
            EXPECT_EQ(exprOf<CounterRef>(r)->name, "killswitch");
        }
    }
    EXPECT_EQ(accepts, 2);
    EXPECT_EQ(resets, 2);
    EXPECT_EQ(prohibits, 2);
    // The forward base chain sends clients to it.
    std::set<std::string> jumps;
    for (auto& r : chainOf(t, "fwd")->rules) {
        if (auto* v = exprOf<VerdictStmt>(r); v && v->verdict == Verdict::Jump)
            jumps.insert(v->chain);
    }
    EXPECT_EQ(jumps, std::set<std::string>{"client_fwd"});
}

TEST_F(StateTest, KillSwitchNoLeavesNoRejectAndNoHealthyGate) {
    auto d = build("KillSwitch=no\n");
    auto& t = table(d);
    EXPECT_THAT(rulesWith<Reject>(t), IsEmpty());
    for (auto& [rule, set] : rulesWith<MatchSet>(t))
        EXPECT_NE(set->set, "healthy");
    // MSS clamping stays.
    EXPECT_EQ(rulesWith<ClampMss>(t).size(), 1u);
}

TEST_F(StateTest, OneIpRulePerGatewayAndFamilyAndADefaultRouteOutOfItsTunnel) {
    auto d = build();
    std::set<std::tuple<Family, uint32_t, uint32_t, uint32_t, uint32_t>> rules;
    for (auto& r : d.rules) {
        ASSERT_TRUE(r.fwmark);
        EXPECT_EQ(r.action, RuleAction::Lookup);
        EXPECT_FALSE(r.from || r.to || r.invert);
        rules.emplace(r.family, r.fwmark->value, r.fwmark->mask, r.table, r.priority);
    }
    EXPECT_EQ(d.rules.size(), 6u);
    using T = std::tuple<Family, uint32_t, uint32_t, uint32_t, uint32_t>;
    EXPECT_EQ(rules, (std::set<T>{T{Family::V4, 0x10000, 0xff0000, 1100, 7100},
                                  T{Family::V6, 0x10000, 0xff0000, 1100, 7100},
                                  T{Family::V4, 0x20000, 0xff0000, 1101, 7101},
                                  T{Family::V6, 0x20000, 0xff0000, 1101, 7101},
                                  T{Family::V4, 0x30000, 0xff0000, 1102, 7102},
                                  T{Family::V6, 0x30000, 0xff0000, 1102, 7102}}));
    std::set<std::tuple<uint32_t, std::string, std::string>> routes;
    for (auto& r : d.routes) {
        EXPECT_EQ(r.type, RouteType::Unicast);
        EXPECT_TRUE(r.scopeLink);
        EXPECT_EQ(r.dst.length, 0);
        routes.emplace(r.table, r.dev, r.dst.str());
    }
    using R = std::tuple<uint32_t, std::string, std::string>;
    EXPECT_EQ(routes, (std::set<R>{R{1100, "wg-p1", "0.0.0.0/0"}, R{1100, "wg-p1", "::/0"},
                                   R{1101, "tun0", "0.0.0.0/0"}, R{1101, "tun0", "::/0"},
                                   R{1102, "wg-p3", "0.0.0.0/0"}, R{1102, "wg-p3", "::/0"}}));
}

TEST_F(StateTest, AnExistingTunnelThatIsMissingGetsItsRouteLater) {
    links = {};
    auto d = build();
    EXPECT_EQ(d.rules.size(), 6u) << "the rules stay";
    for (auto& r : d.routes)
        EXPECT_NE(r.dev, "tun0");
    EXPECT_EQ(d.routes.size(), 4u) << "weft's own tunnels are created with their routes";
}

TEST_F(StateTest, WeftsTunnelsAreWireGuardLinksWithOnePeerForEverything) {
    auto d = build();
    ASSERT_EQ(d.wireguard.size(), 2u) << "not the OpenVPN tun";
    const WireguardLink& l = d.wireguard[0];
    EXPECT_EQ(l.name, "wg-p1");
    EXPECT_EQ(l.privateKey, keys.at("p1.key"));
    EXPECT_EQ(l.mtu, 1380u);
    EXPECT_EQ(l.addresses,
              (std::vector<InterfaceAddress>{*InterfaceAddress::parse("10.64.0.2/32"),
                                             *InterfaceAddress::parse("fd64::2/128")}));
    ASSERT_EQ(l.peers.size(), 1u);
    EXPECT_EQ(l.peers[0].publicKey, peer);
    EXPECT_EQ(l.peers[0].endpoint->str(), "198.51.100.1:51820");
    EXPECT_EQ(l.peers[0].allowedIps, (std::vector<Prefix>{P("0.0.0.0/0"), P("::/0")}));
    EXPECT_GT(l.peers[0].persistentKeepalive.count(), 0) << "keeps the handshake check fresh";
    EXPECT_EQ(d.wireguard[1].name, "wg-p3");
    EXPECT_EQ(d.wireguard[1].mtu, 1420u);
    EXPECT_EQ(d.wireguard[1].peers.at(0).endpoint->str(), "203.0.113.3:51820");
}

TEST_F(StateTest, PortForwardIsADnatOnItsGatewaysTunnelWithTheCurrentPort) {
    auto dnat = [&](const DesiredState& d) {
        std::vector<const Rule*> out;
        for (auto& [rule, nat] : rulesWith<Nat>(d.tables.at(0))) {
            if (nat->kind == Nat::Kind::Dnat && rule->comment == "port forward web")
                out.push_back(rule);
        }
        return out;
    };
    auto d = build();
    auto rules = dnat(d);
    ASSERT_EQ(rules.size(), 1u);
    const Rule& r = *rules[0];
    EXPECT_EQ(exprOf<MatchIfName>(r)->name, "wg-p3");
    EXPECT_EQ(exprOf<MatchL4Proto>(r)->proto, 6);
    EXPECT_EQ(exprOf<MatchPort>(r)->range, (PortRange{40123, 40123}));
    EXPECT_EQ(exprOf<Nat>(r)->address, A("10.77.0.10"));
    EXPECT_EQ(exprOf<Nat>(r)->port, 8080);
    EXPECT_EQ(exprOf<MatchFamily>(r)->family, Family::V4);
    // SetForwardedPort's override wins over Port=.
    forwardPorts["web"] = 51000;
    auto changed = build();
    auto moved = dnat(changed);
    ASSERT_EQ(moved.size(), 1u);
    EXPECT_EQ(exprOf<MatchPort>(*moved[0])->range, (PortRange{51000, 51000}));
    // Replies leave by the gateway they came in by: restored from the ct mark for dnat flows.
    bool replies = false;
    for (auto& rule : chainOf(d.tables.at(0), "pre")->rules) {
        if (exprOf<MatchCtStatus>(rule) && exprOf<MatchCtDirection>(rule) &&
            exprOf<MatchCtDirection>(rule)->reply && exprOf<MarkFromCt>(rule))
            replies = true;
    }
    EXPECT_TRUE(replies);
}

TEST_F(StateTest, MasqueradeOutOfEveryTunnel) {
    auto d = build();
    int masq = 0;
    for (auto& [rule, nat] : rulesWith<Nat>(d.tables.at(0))) {
        if (nat->kind != Nat::Kind::Masquerade)
            continue;
        ++masq;
        EXPECT_EQ(exprOf<MatchSet>(*rule)->set, "tunnels");
        EXPECT_EQ(exprOf<MatchSet>(*rule)->key, std::vector<Field>{Field::OifName});
    }
    EXPECT_EQ(masq, 1);
}

TEST_F(StateTest, DnsIsRedirectedToTheResolverAndTheOtherFamilyRefused) {
    auto without = build();
    for (auto& [rule, nat] : rulesWith<Nat>(without.tables.at(0)))
        EXPECT_NE(rule->comment, "dns to the resolver") << "no DNS=, no redirect";
    auto d = build("DNS=10.64.0.53\n");
    auto& t = table(d);
    std::set<std::pair<uint8_t, std::string>> redirects;  // (protocol, how the client matched)
    for (auto& [rule, nat] : rulesWith<Nat>(t)) {
        if (nat->kind != Nat::Kind::Dnat || rule->comment != "dns to the resolver")
            continue;
        EXPECT_EQ(nat->address, A("10.64.0.53"));
        EXPECT_EQ(nat->port, 53);
        EXPECT_EQ(exprOf<MatchPort>(*rule)->range, (PortRange{53, 53}));
        // Not the resolver itself (that is the clients' own, already right).
        bool notResolver = false;
        std::string client;
        for (auto& e : rule->exprs) {
            if (auto* a = std::get_if<MatchAddr>(&e)) {
                if (a->dir == Dir::Dst && a->prefix == P("10.64.0.53/32") && a->negate)
                    notResolver = true;
                if (a->dir == Dir::Src)
                    client = a->set;
            }
            if (auto* s = std::get_if<MatchSet>(&e))
                client = s->set;
        }
        EXPECT_TRUE(notResolver);
        redirects.emplace(exprOf<MatchL4Proto>(*rule)->proto, client);
    }
    EXPECT_EQ(redirects,
              (std::set<std::pair<uint8_t, std::string>>{
                  {6, "clients4"}, {6, "client_ifs"}, {17, "clients4"}, {17, "client_ifs"}}));
    // IPv6 DNS is refused at once (reset / admin-prohibited), not left to time out.
    std::set<uint8_t> refused;
    for (auto& [rule, rej] : rulesWith<Reject>(t)) {
        auto* port = exprOf<MatchPort>(*rule);
        if (!port || port->range != PortRange{53, 53})
            continue;
        EXPECT_EQ(exprOf<MatchFamily>(*rule)->family, Family::V6);
        refused.insert(exprOf<MatchL4Proto>(*rule)->proto);
    }
    EXPECT_EQ(refused, (std::set<uint8_t>{6, 17}));
}

TEST_F(StateTest, RouterSysctls) {
    auto d = build();
    EXPECT_THAT(d.sysctls, Contains(Sysctl{"net.ipv4.ip_forward", "1"}));
    EXPECT_THAT(d.sysctls, Contains(Sysctl{"net.ipv6.conf.all.forwarding", "1"}));
}

}  // namespace
}  // namespace weft::egress::test
