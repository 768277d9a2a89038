// The nftables layout weave-policy compiles objects into (policy_compiler.hpp), and that
// pod churn edits elements only while a policy change replaces only its own chains.
#include <gtest/gtest.h>

#include <algorithm>

#include "policy_compiler.hpp"

namespace weft::weave {
namespace {

using nft::Chain;
using nft::Element;
using nft::Set;
using nft::Table;

Address A(const char* s) {
    return *Address::parse(s);
}

Pod pod(std::string ns, std::string name, Labels labels, std::vector<Address> ips,
        std::vector<ContainerPort> ports = {}) {
    return Pod{std::move(ns), std::move(name), std::move(labels), std::move(ips), std::move(ports)};
}

NetworkPolicy denyIngress(std::string ns, std::string name, LabelSelector selector = {}) {
    NetworkPolicy p;
    p.ns = std::move(ns);
    p.name = std::move(name);
    p.podSelector = std::move(selector);
    return p;
}

const Set* findSet(const Table& t, const std::string& prefix, size_t nth = 0) {
    for (const auto& s : t.sets)
        if (s.name.rfind(prefix, 0) == 0 && nth-- == 0)
            return &s;
    return nullptr;
}

const Chain* findChain(const Table& t, const std::string& name) {
    for (const auto& c : t.chains)
        if (c.name == name)
            return &c;
    return nullptr;
}

bool hasElement(const Set& s, const nft::ElementKey& key) {
    return s.elements.find(key) != nullptr;
}

class CompilerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        objects.apply(
            {Namespace{"x", {{"ns", "x"}}}, Namespace{"y", {{"ns", "y"}}},
             pod("x", "a", {{"pod", "a"}}, {A("10.0.1.2"), A("fd00::1:2")}, {{"http", 8080, kTcp}}),
             pod("x", "b", {{"pod", "b"}}, {A("10.0.1.3")}, {{"http", 9090, kTcp}}),
             pod("y", "a", {{"pod", "a"}}, {A("10.0.2.2")})});
        options.interfaces = {"br-pods", "veth*"};
    }
    Table compile() {
        compiler.rebuild(objects, options);
        return compiler.table();
    }
    ObjectSet objects;
    CompileOptions options;
    PolicyCompiler compiler;
};

TEST_F(CompilerTest, NoPolicyDispatchesNothing) {
    Table t = compile();
    EXPECT_EQ(t.family, nft::TableFamily::Inet);
    EXPECT_EQ(t.name, "weft_weave_policy");
    for (const char* m : {"in_dispatch4", "in_dispatch6", "eg_dispatch4", "eg_dispatch6"}) {
        const Set* s = findSet(t, m);
        ASSERT_NE(s, nullptr) << m;
        EXPECT_TRUE(s->elements.empty()) << m;
    }
    // The base chains reach police only through the pod interfaces, established first.
    const Chain* fwd = findChain(t, "forward");
    ASSERT_NE(fwd, nullptr);
    ASSERT_TRUE(fwd->base);
    EXPECT_EQ(fwd->rules.front(),
              nft::Rule{}.ctState(nft::CtEstablished | nft::CtRelated).accept());
    ASSERT_EQ(fwd->rules.size(), 9u);
    nft::Rule solicit =
        nft::Rule{}.family(Family::V6).add(nft::MatchIcmpType{Family::V6, 135, false}).accept();
    EXPECT_EQ(fwd->rules[3], solicit) << "neighbour discovery is never policed";
    EXPECT_EQ(fwd->rules[5], nft::Rule{}.iif("br-pods").goTo("police"));
    EXPECT_EQ(fwd->rules[8], nft::Rule{}.oif("veth*").goTo("police"));
    EXPECT_EQ(findChain(t, "output"), nullptr) << "host traffic is allowed by default";
}

TEST_F(CompilerTest, DenyAllIngressDispatchesSelectedPodsOfBothFamilies) {
    objects.apply({denyIngress("x", "deny")});
    Table t = compile();
    const Set* in4 = findSet(t, "in_dispatch4");
    const Set* in6 = findSet(t, "in_dispatch6");
    ASSERT_TRUE(in4 && in6);
    EXPECT_EQ(in4->elements.size(), 2u);  // x/a, x/b; not y/a
    auto* e = in4->elements.find(Prefix::host(A("10.0.1.2")));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(std::get<nft::VerdictData>(*e->data).chain, "in_ns_x");
    EXPECT_TRUE(hasElement(*in6, Prefix::host(A("fd00::1:2"))));
    EXPECT_TRUE(findSet(t, "eg_dispatch4")->elements.empty());
    const Chain* ns = findChain(t, "in_ns_x");
    ASSERT_NE(ns, nullptr);
    EXPECT_EQ(ns->rules.back(), nft::Rule{}.counter(kDeniedIngress).drop());
    const Chain* own = findChain(t, "in_x/deny");
    ASSERT_NE(own, nullptr);
    EXPECT_TRUE(own->rules.empty()) << "no rule admits anything";
}

TEST_F(CompilerTest, IngressRuleFromNamespaceSelectorOnNamedPort) {
    NetworkPolicy p = denyIngress("x", "web", LabelSelector{{{"pod", "a"}}, {}});
    PolicyRule r;
    r.peers.push_back(Peer{std::nullopt, LabelSelector{{{"ns", "y"}}, {}}, std::nullopt, {}});
    r.ports.push_back(PolicyPort{kTcp, std::nullopt, std::nullopt, "http"});
    p.ingressRules.push_back(r);
    objects.apply({p});
    Table t = compile();
    const Set* np4 = findSet(t, "np4_http");
    ASSERT_NE(np4, nullptr);
    EXPECT_EQ(np4->concat.size(), 3u);
    // Every pod's port named http, each with its own number.
    EXPECT_TRUE(hasElement(
        *np4, nft::Concat{{Prefix::host(A("10.0.1.2")), uint32_t(kTcp), PortRange{8080, 8080}}}));
    EXPECT_TRUE(hasElement(
        *np4, nft::Concat{{Prefix::host(A("10.0.1.3")), uint32_t(kTcp), PortRange{9090, 9090}}}));
    const Chain* own = findChain(t, "in_x/web");
    ASSERT_NE(own, nullptr);
    ASSERT_EQ(own->rules.size(), 2u);  // v4 and v6: the peer set and the port set per family
    EXPECT_EQ(own->rules[0].comment, "x/web ingress 0");
    // The peer's v4 set holds y/a only.
    auto* peer = std::get_if<nft::MatchAddr>(&own->rules[0].exprs[1]);
    ASSERT_NE(peer, nullptr);
    const Set* peerSet = nullptr;
    for (const auto& s : t.sets)
        if (s.name == peer->set)
            peerSet = &s;
    ASSERT_NE(peerSet, nullptr);
    EXPECT_EQ(peerSet->elements.size(), 1u);
    EXPECT_TRUE(hasElement(*peerSet, Prefix::host(A("10.0.2.2"))));
}

TEST_F(CompilerTest, IpBlockExceptIsAnIntervalSetWithTheHoleCut) {
    NetworkPolicy p = denyIngress("x", "block");
    p.ingress = false;
    p.egress = true;
    PolicyRule r;
    r.peers.push_back(Peer{std::nullopt,
                           std::nullopt,
                           *Prefix::parse("10.0.0.0/16"),
                           {*Prefix::parse("10.0.2.0/24")}});
    r.ports.push_back(PolicyPort{kUdp, 53, std::nullopt, ""});
    r.ports.push_back(PolicyPort{kTcp, 8000, 8100, ""});
    p.egressRules.push_back(r);
    objects.apply({p});
    Table t = compile();
    const Set* block = findSet(t, "b4_");
    ASSERT_NE(block, nullptr);
    EXPECT_TRUE(block->interval);
    EXPECT_FALSE(hasElement(*block, *Prefix::parse("10.0.2.0/24")));
    EXPECT_TRUE(hasElement(*block, *Prefix::parse("10.0.0.0/23")));
    const Chain* own = findChain(t, "eg_x/block");
    ASSERT_NE(own, nullptr);
    ASSERT_EQ(own->rules.size(), 2u);  // one per port, v4 only
    EXPECT_TRUE(
        std::find(own->rules[1].exprs.begin(), own->rules[1].exprs.end(),
                  nft::Expr{nft::MatchPort{nft::Dir::Dst, PortRange{8000, 8100}, {}, false}}) !=
        own->rules[1].exprs.end());
    nft::Expr ret = nft::VerdictStmt{nft::Verdict::Return, {}};
    EXPECT_EQ(own->rules[0].exprs.back(), ret);
    EXPECT_EQ(findSet(t, "eg_dispatch4")->elements.size(), 2u);
    const Chain* ns = findChain(t, "eg_ns_x");
    ASSERT_NE(ns, nullptr);
    nft::Rule passed = nft::Rule{}.mark(options.egressMark).ret();
    EXPECT_EQ(ns->rules[ns->rules.size() - 3], passed);
}

TEST_F(CompilerTest, PodChurnEditsElementsOnly) {
    NetworkPolicy p = denyIngress("x", "web", LabelSelector{{{"pod", "a"}}, {}});
    PolicyRule r;
    r.peers.push_back(
        Peer{LabelSelector{{{"role", "client"}}, {}}, std::nullopt, std::nullopt, {}});
    p.ingressRules.push_back(r);
    objects.apply({p});
    Table before = compile();
    // A new client pod, a relabelled pod, a deleted pod: chains stay, elements move.
    objects.apply({pod("x", "c", {{"role", "client"}}, {A("10.0.1.9")}),
                   pod("x", "b", {{"pod", "a"}}, {A("10.0.1.3")}, {{"http", 9090, kTcp}})});
    objects.remove({Kind::Pod, "y", "a"});
    compiler.podsChanged(objects,
                         {{Kind::Pod, "x", "c"}, {Kind::Pod, "x", "b"}, {Kind::Pod, "y", "a"}});
    Table after = compiler.table();
    EXPECT_EQ(before.chains, after.chains);
    ASSERT_EQ(before.sets.size(), after.sets.size());
    EXPECT_TRUE(hasElement(*findSet(after, "in_dispatch4"), Prefix::host(A("10.0.1.3"))))
        << "x/b is now selected";
    // The incremental result equals a full compile of the same objects.
    PolicyCompiler fresh;
    fresh.rebuild(objects, options);
    EXPECT_EQ(fresh.table(), after);
}

TEST_F(CompilerTest, NamespaceRelabelMovesItsPodsInAndOut) {
    NetworkPolicy p = denyIngress("x", "from-prod");
    PolicyRule r;
    r.peers.push_back(Peer{std::nullopt, LabelSelector{{{"env", "prod"}}, {}}, std::nullopt, {}});
    p.ingressRules.push_back(r);
    objects.apply({p});
    compile();
    objects.apply({Namespace{"y", {{"ns", "y"}, {"env", "prod"}}}});
    compiler.podsChanged(objects, {{Kind::Namespace, "", "y"}});
    PolicyCompiler fresh;
    fresh.rebuild(objects, options);
    EXPECT_EQ(fresh.table(), compiler.table());
    objects.apply({Namespace{"y", {{"ns", "y"}}}});
    compiler.podsChanged(objects, {{Kind::Namespace, "", "y"}});
    fresh.rebuild(objects, options);
    EXPECT_EQ(fresh.table(), compiler.table());
}

TEST_F(CompilerTest, PolicyChangeReplacesOnlyItsOwnChains) {
    objects.apply({denyIngress("x", "one"), denyIngress("y", "two")});
    Table before = compile();
    NetworkPolicy changed = denyIngress("x", "one");
    changed.ingressRules.push_back(PolicyRule{});  // now allows everything
    objects.apply({changed});
    Table after = compile();
    std::vector<std::string> differing;
    for (const auto& c : after.chains) {
        const Chain* old = findChain(before, c.name);
        if (!old || !(*old == c))
            differing.push_back(c.name);
    }
    EXPECT_EQ(differing, std::vector<std::string>{"in_x/one"});
}

TEST_F(CompilerTest, HostTrafficPolicedOnRequest) {
    options.policeHostTraffic = true;
    Table t = compile();
    const Chain* out = findChain(t, "output");
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(out->rules[5], nft::Rule{}.oif("br-pods").goTo("ingress"));
}

TEST_F(CompilerTest, LongNamesStayWithinNftablesLimits) {
    std::string longName(250, 'p');
    objects.apply({denyIngress("x", longName)});
    Table t = compile();
    for (const auto& c : t.chains)
        EXPECT_LE(c.name.size(), 255u) << c.name;
}

}  // namespace
}  // namespace weft::weave
