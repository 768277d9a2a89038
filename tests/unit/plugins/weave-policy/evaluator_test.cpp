// The reference evaluator against NetworkPolicy semantics: upstream e2e truth tables (written
// case by case as test/e2e/network/netpol writes them), the cases upstream does not test, the
// verdict's details, explain() and its speed.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <sstream>

#include "evaluator.hpp"

namespace weft::weave {
namespace {

using Op = Requirement::Op;

Address ip(const char* text) {
    auto a = Address::parse(text);
    if (!a)
        throw std::invalid_argument(text);
    return *a;
}
Prefix cidr(const char* text) {
    auto p = Prefix::parse(text);
    if (!p)
        throw std::invalid_argument(text);
    return *p;
}

LabelSelector sel(Labels labels = {}) {
    return {std::move(labels), {}};
}
Peer podPeer(Labels labels) {
    return Peer{sel(std::move(labels)), std::nullopt, std::nullopt, {}};
}
Peer nsPeer(LabelSelector ns) {
    return Peer{std::nullopt, std::move(ns), std::nullopt, {}};
}
Peer bothPeer(LabelSelector pods, LabelSelector ns) {
    return Peer{std::move(pods), std::move(ns), std::nullopt, {}};
}
Peer blockPeer(const char* block, std::vector<Prefix> except = {}) {
    return Peer{std::nullopt, std::nullopt, cidr(block), std::move(except)};
}
PolicyPort port(uint16_t number, uint8_t protocol = kTcp) {
    return {protocol, number, {}, {}};
}
PolicyPort range(uint16_t first, uint16_t last) {
    return {kTcp, first, last, {}};
}
PolicyPort named(std::string name, uint8_t protocol = kTcp) {
    return {protocol, std::nullopt, std::nullopt, std::move(name)};
}
LabelSelector nsNamed(const std::string& name) {
    return sel({{kNamespaceNameLabel, name}});
}

/// policyTypes has Ingress when isolateIngress, and Egress when egress rules (maybe none) are
/// given.
NetworkPolicy policy(std::string ns, std::string name, LabelSelector pods,
                     std::vector<PolicyRule> ingress,
                     std::optional<std::vector<PolicyRule>> egress = {},
                     bool isolateIngress = true) {
    NetworkPolicy p;
    p.ns = std::move(ns);
    p.name = std::move(name);
    p.podSelector = std::move(pods);
    p.ingress = isolateIngress;
    p.ingressRules = std::move(ingress);
    p.egress = egress.has_value();
    if (egress)
        p.egressRules = std::move(*egress);
    return p;
}
NetworkPolicy egressOnly(std::string ns, std::string name, LabelSelector pods,
                         std::vector<PolicyRule> egress) {
    return policy(std::move(ns), std::move(name), std::move(pods), {}, std::move(egress), false);
}

// --- upstream's model: namespaces x, y, z; pods a, b, c; every protocol on 80 and 81 ---

const std::vector<std::string> kNamespaces{"x", "y", "z"};
const std::vector<std::string> kPods{"a", "b", "c"};

std::vector<ContainerPort> servePorts() {
    std::vector<ContainerPort> ports;
    for (auto [proto, name] : {std::pair{kTcp, "tcp"}, {kUdp, "udp"}, {kSctp, "sctp"}})
        for (uint16_t n : {80, 81})
            ports.push_back({"serve-" + std::to_string(n) + "-" + name, n, proto});
    return ports;
}

/// x/a is 10.0.1.1 and fd00::1:1; z/c is 10.0.3.3 and fd00::3:3.
std::string v4Of(const std::string& pod) {
    return "10.0." + std::to_string(pod[0] - 'x' + 1) + "." + std::to_string(pod[2] - 'a' + 1);
}
std::string v6Of(const std::string& pod) {
    return "fd00::" + std::to_string(pod[0] - 'x' + 1) + ":" + std::to_string(pod[2] - 'a' + 1);
}

std::vector<Object> model() {
    std::vector<Object> objects;
    for (const auto& ns : kNamespaces) {
        objects.push_back(Namespace{ns, {{"ns", ns}}});
        for (const auto& name : kPods) {
            std::string key = ns + "/" + name;
            objects.push_back(Pod{ns,
                                  name,
                                  {{"pod", name}},
                                  {ip(v4Of(key).c_str()), ip(v6Of(key).c_str())},
                                  servePorts()});
        }
    }
    return objects;
}

/// An expected truth table over the nine pods, set the way upstream's Reachability is.
class Reachability {
  public:
    explicit Reachability(bool allowed) {
        for (const auto& from : all())
            for (const auto& to : all())
                cells_[{from, to}] = allowed;
    }
    /// Every pair whose ends match the filters: "" any, "x" a namespace, "x/a" a pod.
    Reachability& peer(const std::string& from, const std::string& to, bool allowed) {
        for (auto& [pair, cell] : cells_)
            if (fits(pair.first, from) && fits(pair.second, to))
                cell = allowed;
        return *this;
    }
    static std::vector<std::string> all() {
        std::vector<std::string> pods;
        for (const auto& ns : kNamespaces)
            for (const auto& p : kPods)
                pods.push_back(ns + "/" + p);
        return pods;
    }
    bool at(const std::string& from, const std::string& to) const { return cells_.at({from, to}); }

  private:
    static bool fits(const std::string& pod, const std::string& filter) {
        return filter.empty() || pod == filter || pod.substr(0, pod.find('/')) == filter;
    }
    std::map<std::pair<std::string, std::string>, bool> cells_;
};

class Netpol : public ::testing::Test {
  protected:
    void SetUp() override { objects.apply(model()); }
    void add(Object object) { objects.apply({std::move(object)}); }

    PolicyVerdict verdict(const std::string& from, const std::string& to, uint8_t proto = kTcp,
                          uint16_t dport = 80, bool v6 = false) const {
        Evaluator evaluator(objects);
        auto addr = [&](const std::string& p) { return ip((v6 ? v6Of(p) : v4Of(p)).c_str()); };
        return evaluator.evaluate({addr(from), addr(to), proto, dport});
    }

    /// Probes every pair, prints both tables on a mismatch as upstream does.
    ::testing::AssertionResult probe(const Reachability& expected, uint8_t proto, uint16_t dport,
                                     bool v6 = false) const {
        Evaluator evaluator(objects);
        std::ostringstream table;
        table << protocolName(proto) << " port " << dport << (v6 ? " IPv6" : " IPv4")
              << " (expected/observed; . allowed, X denied, ! wrong)\n      ";
        for (const auto& to : Reachability::all())
            table << to << ' ';
        int wrong = 0;
        for (const auto& from : Reachability::all()) {
            table << '\n' << from << "   ";
            for (const auto& to : Reachability::all()) {
                auto addr = [&](const std::string& p) {
                    return ip((v6 ? v6Of(p) : v4Of(p)).c_str());
                };
                bool got = evaluator.evaluate({addr(from), addr(to), proto, dport}).allowed();
                bool want = expected.at(from, to);
                wrong += got != want;
                table << (want ? '.' : 'X') << (got ? '.' : 'X') << (got == want ? ' ' : '!')
                      << ' ';
            }
        }
        if (wrong == 0)
            return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << wrong << " wrong cells\n" << table.str();
    }

    ObjectSet objects;
};

// --- upstream e2e cases ---

TEST_F(Netpol, DefaultDenyIngress) {
    add(policy("x", "deny-ingress", sel(), {}));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x", false), kTcp, 80));
}

TEST_F(Netpol, DefaultDenyAll) {
    add(policy("x", "deny-all", sel(), {}, std::vector<PolicyRule>{}));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x", false).peer("x", "", false), kTcp, 80));
}

TEST_F(Netpol, AllowFromPodSelectorInOwnNamespace) {
    add(policy("x", "x-a-allows-x-b", sel({{"pod", "a"}}), {{{podPeer({{"pod", "b"}})}, {}}}));
    // y/b and z/b carry pod=b too, but a podSelector alone means the policy's namespace.
    EXPECT_TRUE(
        probe(Reachability(true).peer("", "x/a", false).peer("x/b", "x/a", true), kTcp, 80));
}

TEST_F(Netpol, PoliciesAreAdditive) {
    add(policy("x", "deny-all", sel(), {}));
    add(policy("x", "allow-all-to-a", sel({{"pod", "a"}}), {{{bothPeer(sel(), sel())}, {}}}));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x/b", false).peer("", "x/c", false), kTcp, 80));
}

TEST_F(Netpol, AllowFromAllNamespaces) {
    add(policy("x", "allow-from-another-ns", sel({{"pod", "a"}}), {{{nsPeer(sel())}, {}}}));
    EXPECT_TRUE(probe(Reachability(true), kTcp, 80));
}

TEST_F(Netpol, AllowFromNamespaceSelectorByImplicitNameLabel) {
    add(policy("x", "allow-client-a-via-ns-selector", sel({{"pod", "a"}}),
               {{{nsPeer(nsNamed("y"))}, {}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x", "x/a", false).peer("z", "x/a", false), kTcp, 80));
}

TEST_F(Netpol, NamespaceSelectorWithMatchExpressions) {
    LabelSelector inY{{}, {Requirement{kNamespaceNameLabel, Op::In, {"y"}}}};
    add(policy("x", "allow-ns-y-match-selector", sel({{"pod", "a"}}), {{{nsPeer(inY)}, {}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x", "x/a", false).peer("z", "x/a", false), kTcp, 80));
}

TEST_F(Netpol, PodSelectorOrNamespaceSelector) {
    LabelSelector notX{{}, {Requirement{kNamespaceNameLabel, Op::NotIn, {"x"}}}};
    add(policy("x", "allow-ns-y-match-selector", sel({{"pod", "a"}}),
               {{{nsPeer(notX), podPeer({{"pod", "b"}})}, {}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x/a", "x/a", false).peer("x/c", "x/a", false), kTcp, 80));
}

TEST_F(Netpol, PodSelectorAndNamespaceSelector) {
    LabelSelector notX{{}, {Requirement{kNamespaceNameLabel, Op::NotIn, {"x"}}}};
    add(policy("x", "allow-ns-y-podselector-and-nsselector", sel({{"pod", "a"}}),
               {{{bothPeer(sel({{"pod", "b"}}), notX)}, {}}}));
    EXPECT_TRUE(probe(
        Reachability(true).peer("", "x/a", false).peer("y/b", "x/a", true).peer("z/b", "x/a", true),
        kTcp, 80));
}

TEST_F(Netpol, OnePortFromOneNamespace) {
    add(policy("x", "allow-port-81", sel({{"pod", "a"}}), {{{nsPeer(nsNamed("y"))}, {port(81)}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x", "x/a", false).peer("z", "x/a", false), kTcp, 81));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x/a", false), kTcp, 80));
    // Adding a second policy for port 80 opens it the same way.
    add(policy("x", "allow-port-80", sel({{"pod", "a"}}), {{{nsPeer(nsNamed("y"))}, {port(80)}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x", "x/a", false).peer("z", "x/a", false), kTcp, 80));
}

TEST_F(Netpol, AllowAll) {
    add(policy("x", "allow-all", sel(), {PolicyRule{}}));
    EXPECT_TRUE(probe(Reachability(true), kTcp, 80));
    EXPECT_TRUE(probe(Reachability(true), kTcp, 81));
}

TEST_F(Netpol, IngressOnOneNamedPort) {
    add(policy("x", "allow-all", sel(), {{{}, {named("serve-81-tcp")}}}));
    EXPECT_TRUE(probe(Reachability(true), kTcp, 81));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x", false), kTcp, 80));
}

TEST_F(Netpol, EgressOnOneNamedPort) {
    add(egressOnly("x", "allow-egress", sel(), {{{}, {named("serve-80-tcp")}}}));
    EXPECT_TRUE(probe(Reachability(true), kTcp, 80));
    EXPECT_TRUE(probe(Reachability(true).peer("x", "", false), kTcp, 81));
}

TEST_F(Netpol, EgressOnlyPolicyLeavesIngressOpen) {
    add(egressOnly("x", "deny-egress", sel(), {}));
    EXPECT_TRUE(probe(Reachability(true).peer("x", "", false), kTcp, 80));
    auto v = verdict("y/a", "x/a");
    EXPECT_TRUE(v.allowed());
    EXPECT_TRUE(v.ingress.isolatedBy.empty());
}

TEST_F(Netpol, UdpPortFromOneNamespace) {
    add(policy("x", "allow-udp-81", sel({{"pod", "a"}}),
               {{{nsPeer(nsNamed("y"))}, {port(81, kUdp)}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x", "x/a", false).peer("z", "x/a", false), kUdp, 81));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x/a", false), kTcp, 81));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x/a", false), kSctp, 81));
}

TEST_F(Netpol, SctpPortFromOneNamespace) {
    add(policy("x", "allow-sctp-81", sel({{"pod", "a"}}),
               {{{nsPeer(nsNamed("y"))}, {port(81, kSctp)}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x", "x/a", false).peer("z", "x/a", false), kSctp, 81));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x/a", false), kTcp, 81));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x/a", false), kUdp, 81));
}

TEST_F(Netpol, NamedPortKeepsItsProtocol) {
    // serve-80-udp names UDP 80: it admits neither TCP 80 nor UDP 81.
    add(policy("x", "allow-udp-name", sel(), {{{}, {named("serve-80-udp", kUdp)}}}));
    EXPECT_TRUE(probe(Reachability(true), kUdp, 80));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x", false), kUdp, 81));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x", false), kTcp, 80));
    // A TCP port entry carrying a UDP port's name resolves to nothing.
    add(policy("y", "mismatched", sel(), {{{}, {named("serve-80-udp", kTcp)}}}));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x", false).peer("", "y", false), kTcp, 80));
}

// --- beyond upstream ---

TEST_F(Netpol, PolicySelectingNoPods) {
    add(policy("x", "selects-nobody", sel({{"pod", "nope"}}), {}, std::vector<PolicyRule>{}));
    EXPECT_TRUE(probe(Reachability(true), kTcp, 80));
    auto v = verdict("x/a", "x/b");
    EXPECT_TRUE(v.egress.isolatedBy.empty());
    EXPECT_TRUE(v.ingress.isolatedBy.empty());
}

TEST_F(Netpol, EndPortRange) {
    add(policy("x", "range", sel({{"pod", "a"}}),
               {{{}, {range(80, 81)}}, {{}, {range(8000, 8999)}}}));
    for (uint16_t p : {80, 81, 8000, 8500, 8999})
        EXPECT_TRUE(verdict("y/a", "x/a", kTcp, p).allowed()) << p;
    for (uint16_t p : {79, 82, 7999, 9000})
        EXPECT_FALSE(verdict("y/a", "x/a", kTcp, p).allowed()) << p;
    EXPECT_FALSE(verdict("y/a", "x/a", kUdp, 80).allowed());
}

TEST_F(Netpol, IngressIpBlockWithExcept) {
    add(policy("x", "from-block", sel({{"pod", "a"}}),
               {{{blockPeer("10.0.0.0/16", {cidr("10.0.2.0/24")})}, {}}}));
    EXPECT_TRUE(probe(Reachability(true).peer("y", "x/a", false), kTcp, 80));
    Evaluator evaluator(objects);
    EXPECT_TRUE(evaluator.evaluate({ip("10.0.9.9"), ip("10.0.1.1"), kTcp, 80}).allowed());
    EXPECT_FALSE(evaluator.evaluate({ip("10.0.2.99"), ip("10.0.1.1"), kTcp, 80}).allowed());
    EXPECT_FALSE(evaluator.evaluate({ip("192.0.2.1"), ip("10.0.1.1"), kTcp, 80}).allowed());
    // An IPv4 block says nothing of IPv6 addresses, the same pods' included.
    EXPECT_TRUE(probe(Reachability(true).peer("", "x/a", false), kTcp, 80, true));
}

TEST_F(Netpol, EgressIpBlockWithExcept) {
    add(egressOnly("x", "to-block", sel({{"pod", "a"}}),
                   {{{blockPeer("10.0.0.0/16", {cidr("10.0.3.0/24"), cidr("10.0.1.2/32")})}, {}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x/a", "z", false).peer("x/a", "x/b", false), kTcp, 80));
    Evaluator evaluator(objects);
    EXPECT_TRUE(evaluator.evaluate({ip("10.0.1.1"), ip("10.0.200.1"), kUdp, 53}).allowed());
    EXPECT_FALSE(evaluator.evaluate({ip("10.0.1.1"), ip("192.0.2.1"), kTcp, 443}).allowed());
    EXPECT_FALSE(evaluator.evaluate({ip("10.0.1.1"), ip("10.0.3.200"), kTcp, 80}).allowed());
}

TEST_F(Netpol, Ipv6IpBlock) {
    add(policy("x", "from-v6", sel({{"pod", "a"}}), {{{blockPeer("fd00::2:0/112")}, {}}}));
    EXPECT_TRUE(
        probe(Reachability(true).peer("x", "x/a", false).peer("z", "x/a", false), kTcp, 80, true));
    EXPECT_TRUE(probe(Reachability(true).peer("", "x/a", false), kTcp, 80));
}

TEST_F(Netpol, DualStackPodReachedOnIpv6) {
    add(policy("x", "deny-all", sel(), {}, std::vector<PolicyRule>{}));
    add(policy("x", "from-y", sel({{"pod", "a"}}), {{{nsPeer(sel({{"ns", "y"}}))}, {port(80)}}}));
    auto expected =
        Reachability(true).peer("", "x", false).peer("x", "", false).peer("y", "x/a", true);
    EXPECT_TRUE(probe(expected, kTcp, 80, true));
    EXPECT_TRUE(probe(expected, kTcp, 80, false));
    Evaluator evaluator(objects);
    const Pod* a = evaluator.podAt(ip("fd00::1:1"));
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a, evaluator.podAt(ip("10.0.1.1")));
    EXPECT_EQ(a->name, "a");
}

TEST_F(Netpol, NamedPortsResolvePerDestinationPod) {
    add(Pod{"w",
            "web1",
            {{"app", "web"}},
            {ip("10.1.0.1")},
            {{"http", 8080, kTcp}, {"dns", 53, kUdp}}});
    add(Pod{"w", "web2", {{"app", "web"}}, {ip("10.1.0.2")}, {{"http", 9090, kTcp}}});
    add(Pod{"w", "client", {{"app", "client"}}, {ip("10.1.0.3")}, {{"http", 7070, kTcp}}});
    add(policy("w", "http-only", sel({{"app", "web"}}),
               {{{}, {named("http"), named("dns", kUdp)}}}));
    Evaluator e(objects);
    auto to = [&](const char* dst, uint8_t proto, uint16_t p) {
        return e.evaluate({ip("10.1.0.3"), ip(dst), proto, p}).allowed();
    };
    EXPECT_TRUE(to("10.1.0.1", kTcp, 8080));
    EXPECT_FALSE(to("10.1.0.1", kTcp, 9090));
    EXPECT_TRUE(to("10.1.0.2", kTcp, 9090));
    EXPECT_FALSE(to("10.1.0.2", kTcp, 8080));
    EXPECT_TRUE(to("10.1.0.1", kUdp, 53));
    EXPECT_FALSE(to("10.1.0.2", kUdp, 53));    // web2 has no port named dns
    EXPECT_FALSE(to("10.1.0.1", kTcp, 7070));  // the source's meaning of http does not count
}

TEST_F(Netpol, EgressNamedPortResolvesOnThePeer) {
    add(Pod{"w", "web", {{"app", "web"}}, {ip("10.1.0.1")}, {{"http", 8080, kTcp}}});
    add(Pod{"w", "client", {{"app", "client"}}, {ip("10.1.0.3")}, {{"http", 7070, kTcp}}});
    add(egressOnly("w", "client-http", sel({{"app", "client"}}), {{{}, {named("http")}}}));
    Evaluator e(objects);
    EXPECT_TRUE(e.evaluate({ip("10.1.0.3"), ip("10.1.0.1"), kTcp, 8080}).allowed());
    EXPECT_FALSE(e.evaluate({ip("10.1.0.3"), ip("10.1.0.1"), kTcp, 7070}).allowed());
    // An address that is no pod's has no named ports.
    EXPECT_FALSE(e.evaluate({ip("10.1.0.3"), ip("192.0.2.1"), kTcp, 8080}).allowed());
    EXPECT_FALSE(e.evaluate({ip("10.1.0.3"), ip("192.0.2.1"), kTcp, 7070}).allowed());
}

TEST_F(Netpol, ProtocolsAndPortlessRules) {
    add(policy("x", "tcp-80", sel({{"pod", "a"}}), {{{}, {port(80)}}}));
    add(policy("x", "any-udp", sel({{"pod", "b"}}), {{{}, {PolicyPort{kUdp, {}, {}, {}}}}}));
    add(policy("x", "anything-from-y", sel({{"pod", "c"}}), {{{nsPeer(nsNamed("y"))}, {}}}));
    constexpr uint8_t kIcmp = 1;
    EXPECT_TRUE(verdict("y/a", "x/a", kTcp, 80).allowed());
    EXPECT_FALSE(verdict("y/a", "x/a", kUdp, 80).allowed());
    EXPECT_FALSE(verdict("y/a", "x/a", kSctp, 80).allowed());
    EXPECT_FALSE(verdict("y/a", "x/a", kIcmp, 0).allowed());
    EXPECT_TRUE(verdict("y/a", "x/b", kUdp, 1).allowed());
    EXPECT_TRUE(verdict("y/a", "x/b", kUdp, 65535).allowed());
    EXPECT_FALSE(verdict("y/a", "x/b", kTcp, 80).allowed());
    EXPECT_TRUE(verdict("y/a", "x/c", kIcmp, 0).allowed());  // no ports: every protocol
    EXPECT_TRUE(verdict("y/a", "x/c", kSctp, 9).allowed());
    EXPECT_FALSE(verdict("z/a", "x/c", kIcmp, 0).allowed());
}

TEST_F(Netpol, RelabelledNamespaceChangesTheVerdict) {
    add(policy("x", "from-blue", sel({{"pod", "a"}}), {{{nsPeer(sel({{"team", "blue"}}))}, {}}}));
    EXPECT_FALSE(verdict("y/b", "x/a").allowed());
    add(Namespace{"y", {{"ns", "y"}, {"team", "blue"}}});
    EXPECT_TRUE(verdict("y/b", "x/a").allowed());
    EXPECT_FALSE(verdict("z/b", "x/a").allowed());
    add(Namespace{"y", {{"ns", "y"}}});
    EXPECT_FALSE(verdict("y/b", "x/a").allowed());
}

TEST_F(Netpol, RelabelledPodChangesTheVerdict) {
    add(policy("x", "from-b", sel({{"pod", "a"}}), {{{bothPeer(sel({{"pod", "b"}}), sel())}, {}}}));
    EXPECT_FALSE(verdict("y/c", "x/a").allowed());
    add(Pod{"y", "c", {{"pod", "b"}}, {ip("10.0.2.3")}, {}});
    EXPECT_TRUE(verdict("y/c", "x/a").allowed());
    // And the target leaving the policy's selector is no longer isolated.
    add(Pod{"x", "a", {{"pod", "other"}}, {ip("10.0.1.1")}, {}});
    EXPECT_TRUE(verdict("z/c", "x/a").allowed());
    EXPECT_TRUE(verdict("z/c", "x/a").ingress.isolatedBy.empty());
}

TEST_F(Netpol, NamespaceWithoutObjectHasOnlyItsNameLabel) {
    add(Pod{"w", "lone", {{"pod", "b"}}, {ip("10.1.0.1")}, {}});
    add(policy("x", "by-name", sel({{"pod", "a"}}), {{{nsPeer(nsNamed("w"))}, {}}}));
    add(policy("x", "by-ns-label", sel({{"pod", "b"}}), {{{nsPeer(sel({{"ns", "w"}}))}, {}}}));
    add(policy("x", "any-ns", sel({{"pod", "c"}}), {{{nsPeer(sel())}, {}}}));
    Evaluator e(objects);
    EXPECT_TRUE(e.evaluate({ip("10.1.0.1"), ip("10.0.1.1"), kTcp, 80}).allowed());
    EXPECT_FALSE(e.evaluate({ip("10.1.0.1"), ip("10.0.1.2"), kTcp, 80}).allowed());
    EXPECT_TRUE(e.evaluate({ip("10.1.0.1"), ip("10.0.1.3"), kTcp, 80}).allowed());
}

TEST_F(Netpol, ImplicitNameLabelWinsOverAnExplicitOne) {
    add(Namespace{"y", {{kNamespaceNameLabel, "fake"}}});
    add(policy("x", "from-fake", sel({{"pod", "a"}}), {{{nsPeer(nsNamed("fake"))}, {}}}));
    add(policy("x", "from-y", sel({{"pod", "b"}}), {{{nsPeer(nsNamed("y"))}, {}}}));
    EXPECT_FALSE(verdict("y/a", "x/a").allowed());
    EXPECT_TRUE(verdict("y/a", "x/b").allowed());
}

TEST_F(Netpol, PodWithoutAddressesIsNeverMatchedByAddress) {
    add(Pod{"x", "pending", {{"pod", "a"}}, {}, servePorts()});
    add(policy("x", "deny-all", sel(), {}));
    Evaluator e(objects);
    for (const auto& p : Reachability::all()) {
        const Pod* owner = e.podAt(ip(v4Of(p).c_str()));
        ASSERT_NE(owner, nullptr);
        EXPECT_NE(owner->name, "pending");
    }
    auto v = e.evaluate({ip("10.0.1.99"), ip("10.0.1.1"), kTcp, 80});
    EXPECT_FALSE(v.egress.pod.has_value());
    EXPECT_TRUE(v.egress.allowed());
    EXPECT_FALSE(v.ingress.allowed());
    // Address without a pod at both ends: nothing polices it.
    EXPECT_TRUE(e.evaluate({ip("192.0.2.1"), ip("192.0.2.2"), kTcp, 80}).allowed());
}

TEST_F(Netpol, VerdictListsEveryIsolatingPolicyAndAdmittingRule) {
    add(policy(
        "x", "b-rules", sel({{"pod", "a"}}),
        {{{podPeer({{"pod", "c"}})}, {}}, {{nsPeer(nsNamed("y"))}, {port(80)}}, {{}, {port(80)}}}));
    add(policy("x", "a-deny", sel(), {}));
    add(policy("x", "c-other-port", sel({{"pod", "a"}}), {{{}, {port(81)}}}));
    add(egressOnly("y", "egress", sel({{"pod", "a"}}),
                   {{{}, {port(81)}}, {{blockPeer("10.0.1.0/24")}, {}}}));
    auto v = verdict("y/a", "x/a");
    ASSERT_TRUE(v.allowed());
    ObjectKey deny{Kind::NetworkPolicy, "x", "a-deny"}, rules{Kind::NetworkPolicy, "x", "b-rules"},
        other{Kind::NetworkPolicy, "x", "c-other-port"}, egress{Kind::NetworkPolicy, "y", "egress"};
    EXPECT_EQ(v.ingress.pod, (ObjectKey{Kind::Pod, "x", "a"}));
    EXPECT_EQ(v.ingress.isolatedBy, (std::vector<ObjectKey>{deny, rules, other}));
    EXPECT_EQ(v.ingress.allowedBy, (std::vector<RuleRef>{{rules, false, 1}, {rules, false, 2}}));
    EXPECT_EQ(v.egress.pod, (ObjectKey{Kind::Pod, "y", "a"}));
    EXPECT_EQ(v.egress.isolatedBy, (std::vector<ObjectKey>{egress}));
    EXPECT_EQ(v.egress.allowedBy, (std::vector<RuleRef>{{egress, true, 1}}));
}

TEST_F(Netpol, IsolationFollowsTheWholePodSelector) {
    add(Pod{"w", "front", {{"app", "web"}, {"tier", "front"}}, {ip("10.1.0.1")}, {}});
    add(Pod{"w", "back", {{"app", "web"}, {"tier", "back"}}, {ip("10.1.0.2")}, {}});
    add(Pod{"w", "db", {{"app", "db"}, {"tier", "back"}}, {ip("10.1.0.3")}, {}});
    add(Pod{"w", "bare", {}, {ip("10.1.0.4")}, {}});
    add(policy("w", "web-back", sel({{"app", "web"}, {"tier", "back"}}), {}));
    add(policy("w", "not-web", LabelSelector{{}, {Requirement{"app", Op::NotIn, {"web"}}}}, {}));
    add(policy("w", "web-and-missing", sel({{"app", "web"}, {"zone", "a"}}), {}));
    add(policy("w", "front-expr",
               LabelSelector{{{"tier", "front"}}, {Requirement{"app", Op::DoesNotExist, {}}}}, {}));
    Evaluator e(objects);
    auto isolatedBy = [&](const char* address) {
        std::vector<std::string> names;
        for (const auto& k : e.evaluate({ip("10.0.1.1"), ip(address), kTcp, 80}).ingress.isolatedBy)
            names.push_back(k.name);
        return names;
    };
    EXPECT_EQ(isolatedBy("10.1.0.1"), std::vector<std::string>{});
    EXPECT_EQ(isolatedBy("10.1.0.2"), std::vector<std::string>{"web-back"});
    EXPECT_EQ(isolatedBy("10.1.0.3"), std::vector<std::string>{"not-web"});
    EXPECT_EQ(isolatedBy("10.1.0.4"), std::vector<std::string>{"not-web"});
}

// --- explain() ---

TEST_F(Netpol, ExplainAllowed) {
    add(policy("y", "allow-80", sel({{"pod", "b"}}), {{{nsPeer(nsNamed("x"))}, {port(80)}}}));
    Evaluator e(objects);
    Connection c{ip("10.0.1.1"), ip("10.0.2.2"), kTcp, 80};
    EXPECT_EQ(explain(e, c, e.evaluate(c)),
              "allowed: egress of Pod x/a not isolated; ingress of Pod y/b admitted by "
              "NetworkPolicy y/allow-80 ingress rule 0");
}

TEST_F(Netpol, ExplainDeniedIngress) {
    add(policy("y", "deny-all", sel(), {}));
    Evaluator e(objects);
    Connection c{ip("10.0.1.1"), ip("10.0.2.2"), kTcp, 80};
    EXPECT_EQ(
        explain(e, c, e.evaluate(c)),
        "denied: ingress of Pod y/b is isolated by NetworkPolicy y/deny-all and no rule admits "
        "TCP port 80 from Pod x/a (10.0.1.1)");
}

TEST_F(Netpol, ExplainDeniedBothSidesAndOtherProtocols) {
    add(policy("x", "deny-all", sel(), {}, std::vector<PolicyRule>{}));
    add(policy("x", "web", sel(), {{{}, {port(80)}}}));
    Evaluator e(objects);
    Connection icmp{ip("fd00::1:1"), ip("fd00::1:2"), 58, 0};
    EXPECT_EQ(
        explain(e, icmp, e.evaluate(icmp)),
        "denied: egress of Pod x/a is isolated by NetworkPolicy x/deny-all and no rule admits "
        "ICMPv6 to Pod x/b (fd00::1:2); ingress of Pod x/b is isolated by NetworkPolicy "
        "x/deny-all, NetworkPolicy x/web and no rule admits ICMPv6 from Pod x/a (fd00::1:1)");
    Connection out{ip("10.0.1.1"), ip("192.0.2.1"), kSctp, 9};
    EXPECT_EQ(
        explain(e, out, e.evaluate(out)),
        "denied: egress of Pod x/a is isolated by NetworkPolicy x/deny-all and no rule admits "
        "SCTP port 9 to 192.0.2.1");
    Connection in{ip("192.0.2.1"), ip("10.0.2.1"), kUdp, 53};
    EXPECT_EQ(explain(e, in, e.evaluate(in)),
              "allowed: egress of 192.0.2.1 not policed (no pod); ingress of Pod y/a not isolated");
}

// --- speed: 10,000 flows against 2,000 policies over 10,000 pods ---

TEST(EvaluatorSpeed, TenThousandFlowsAgainstTwoThousandPolicies) {
    ObjectSet objects;
    std::vector<Object> batch;
    std::vector<Address> addresses;
    for (int n = 0; n < 1000; ++n) {
        std::string ns = "ns" + std::to_string(n);
        batch.push_back(Namespace{ns, {{"team", std::to_string(n % 10)}}});
        for (int p = 0; p < 10; ++p) {
            Address a = Address::parse("10.0.0.0").value();
            a.bytes[1] = static_cast<uint8_t>(n / 100);
            a.bytes[2] = static_cast<uint8_t>(n % 100);
            a.bytes[3] = static_cast<uint8_t>(p + 1);
            addresses.push_back(a);
            batch.push_back(Pod{ns,
                                "pod" + std::to_string(p),
                                {{"app", p < 5 ? "web" : "client"}, {"shard", std::to_string(p)}},
                                {a},
                                {{"http", static_cast<uint16_t>(8000 + p), kTcp}}});
        }
        batch.push_back(
            policy(ns, "web", sel({{"app", "web"}}),
                   {{{nsPeer(sel({{"team", std::to_string(n % 10)}}))}, {named("http")}},
                    {{bothPeer(sel({{"app", "client"}}), sel())}, {range(8000, 8002)}}}));
        batch.push_back(egressOnly(
            ns, "client", sel({{"app", "client"}}),
            {{{podPeer({{"app", "web"}})}, {}}, {{blockPeer("10.0.0.0/9")}, {port(8003)}}}));
    }
    objects.apply(batch);
    ASSERT_EQ(objects.policies().size(), 2000u);

    std::mt19937 random(12);
    std::vector<Connection> flows;
    for (int i = 0; i < 10000; ++i)
        flows.push_back({addresses[random() % addresses.size()],
                         addresses[random() % addresses.size()], kTcp,
                         static_cast<uint16_t>(8000 + random() % 10)});

    auto start = std::chrono::steady_clock::now();
    Evaluator evaluator(objects);
    auto built = std::chrono::steady_clock::now();
    size_t allowed = 0;
    for (const auto& flow : flows)
        allowed += evaluator.evaluate(flow).allowed();
    auto done = std::chrono::steady_clock::now();
    auto ms = [](auto d) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    RecordProperty("index_ms", ms(built - start));
    RecordProperty("evaluate_ms", ms(done - built));
    EXPECT_LT(ms(built - start), 1000);
    EXPECT_LT(ms(done - built), 500);
    // Both verdicts occur: the work is real.
    EXPECT_GT(allowed, 0u);
    EXPECT_LT(allowed, flows.size());
}

}  // namespace
}  // namespace weft::weave
