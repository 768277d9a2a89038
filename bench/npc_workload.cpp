#include "npc_workload.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include "object_set.hpp"
#include "selection.hpp"

namespace weft::bench {
namespace {

using namespace weave;

const char* const kEnvs[] = {"prod", "staging", "dev"};
const char* const kRoles[] = {"frontend", "backend", "db", "cache"};
constexpr unsigned kTeams = 25, kApps = 8;

std::string nsName(unsigned i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "ns-%04u", i);
    return buf;
}

Address ipv4(uint32_t v) {
    uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    return Address::fromBytes(Family::V4, b);
}

Prefix prefix(const char* text) {
    return *Prefix::parse(text);
}

LabelSelector match(Labels labels) {
    return LabelSelector{std::move(labels), {}};
}

Namespace makeNamespace(unsigned i) {
    Namespace n{nsName(i), {{"team", "team-" + std::to_string(i % kTeams)}, {"env", kEnvs[i % 3]}}};
    if (i % 4 == 0)
        n.labels["monitoring"] = "enabled";
    return n;
}

// Ports by app: the same name maps to different numbers on different apps.
std::vector<ContainerPort> portsOf(unsigned app) {
    std::vector<ContainerPort> v{{"http", uint16_t(app % 2 ? 8080 : 80), kTcp},
                                 {"metrics", uint16_t(app % 3 ? 9090 : 9100), kTcp}};
    if (app % 4 == 0)
        v.push_back({"grpc", 50051, kTcp});
    return v;
}

Pod makePod(const ClusterSpec& spec, unsigned i) {
    std::mt19937 rng(spec.seed * 1000003u + i);
    unsigned app = rng() % kApps;
    Pod p;
    p.ns = nsName(i % spec.namespaces);
    p.name = "p-" + std::to_string(i);
    p.labels = {{"app", "app-" + std::to_string(app)},
                {"role", kRoles[rng() % 4]},
                {"version", rng() % 2 ? "v1" : "v2"},
                {"pod-template-hash", std::to_string(rng() % 100000)}};
    p.ips = {ipv4((10u << 24 | 64u << 16) + i + 1)};
    p.ports = portsOf(app);
    return p;
}

PolicyPort tcp(uint16_t port, std::optional<uint16_t> end = std::nullopt) {
    return PolicyPort{kTcp, port, end, {}};
}
PolicyPort named(const std::string& name) {
    return PolicyPort{kTcp, std::nullopt, std::nullopt, name};
}

Peer pods(Labels labels) {
    return Peer{match(std::move(labels)), std::nullopt, std::nullopt, {}};
}

// One generic policy of a shape chosen by the rng.
NetworkPolicy genericPolicy(std::mt19937& rng, unsigned j, unsigned namespaces) {
    NetworkPolicy p;
    p.ns = nsName(j % namespaces);
    auto app = [&] { return "app-" + std::to_string(rng() % kApps); };
    auto role = [&] { return std::string(kRoles[rng() % 4]); };
    unsigned shape = rng() % 100;
    if (shape < 10) {  // default deny
        p.name = "default-deny-" + std::to_string(j);
    } else if (shape < 35) {  // same namespace, app to app, numbered ports
        p.name = "allow-app-" + std::to_string(j);
        p.podSelector = match({{"app", app()}});
        p.ingressRules = {
            {{pods({{"app", app()}}), pods({{"role", "frontend"}})}, {tcp(8080), tcp(80)}}};
    } else if (shape < 55) {  // another team's frontends on the named port
        p.name = "allow-team-" + std::to_string(j);
        p.podSelector = match({{"role", "backend"}});
        Peer peer{match({{"role", "frontend"}}),
                  match({{"team", "team-" + std::to_string(rng() % kTeams)}}),
                  std::nullopt,
                  {}};
        p.ingressRules = {{{peer}, {named("http")}}};
    } else if (shape < 65) {  // ipBlock with an except, a port and a range
        p.name = "allow-cidr-" + std::to_string(j);
        p.podSelector = match({{"app", app()}});
        unsigned b = rng() % 16;
        Peer peer{std::nullopt,
                  std::nullopt,
                  prefix(("172." + std::to_string(16 + b) + ".0.0/16").c_str()),
                  {prefix(("172." + std::to_string(16 + b) + ".5.0/24").c_str())}};
        p.ingressRules = {{{peer}, {tcp(443), tcp(8443, 8450)}}};
    } else if (shape < 80) {  // egress: DNS namespace and the internet
        p.name = "egress-" + std::to_string(j);
        p.ingress = false;
        p.egress = true;
        p.podSelector = match({{"app", app()}});
        Peer dns{std::nullopt,
                 match({{"kubernetes.io/metadata.name", nsName(namespaces - 1)}}),
                 std::nullopt,
                 {}};
        Peer world{std::nullopt, std::nullopt, prefix("0.0.0.0/0"), {prefix("10.0.0.0/8")}};
        p.egressRules = {{{dns}, {PolicyPort{kUdp, 53, std::nullopt, {}}, tcp(53)}},
                         {{world}, {tcp(443)}}};
    } else if (shape < 90) {  // both directions
        p.name = "db-" + std::to_string(j);
        p.egress = true;
        p.podSelector = match({{"role", "db"}});
        p.ingressRules = {{{pods({{"role", "backend"}})}, {tcp(5432)}}};
        p.egressRules = {{{pods({{"role", role()}})}, {}}};
    } else {  // scraping from namespaces picked by an expression, named port
        p.name = "scrape-" + std::to_string(j);
        p.podSelector = match({{"app", app()}});
        LabelSelector ns;
        ns.matchExpressions = {{"env", Requirement::Op::In, {"prod", "staging"}}};
        if (rng() % 2)
            ns.matchExpressions.push_back({"monitoring", Requirement::Op::Exists, {}});
        p.ingressRules = {{{Peer{std::nullopt, ns, std::nullopt, {}}}, {named("metrics")}}};
    }
    return p;
}

const Labels kHotOn = {{"app", "prometheus"},
                       {"role", "monitoring"},
                       {"tier", "infra"},
                       {"release", "stable"},
                       {"component", "server"}};

// The k-th non-empty subset of the hot labels (k in 1..31).
Labels hotSubset(unsigned k) {
    Labels out;
    unsigned bit = 0;
    for (const auto& [key, value] : kHotOn)
        if (k & (1u << bit++))
            out[key] = value;
    return out;
}

// Namespace selectors matching ns-0000 (team-0, prod, monitoring=enabled).
LabelSelector hotNsSelector(unsigned k) {
    switch (k % 5) {
        case 0:
            return match({{"kubernetes.io/metadata.name", nsName(0)}});
        case 1:
            return match({{"team", "team-0"}});
        case 2:
            return match({{"env", "prod"}});
        case 3:
            return match({{"monitoring", "enabled"}});
        default: {
            LabelSelector s;
            s.matchExpressions = {{"env", Requirement::Op::In, {"prod", "staging"}}};
            return s;
        }
    }
}

// Policies picking the hot pod: the first tenth target it in its namespace, the rest admit
// it (namespace selector + pod selector) to other namespaces' pods on their metrics port.
std::vector<NetworkPolicy> hotPolicies(unsigned count, unsigned namespaces) {
    std::vector<NetworkPolicy> out;
    unsigned targets = count / 10;
    for (unsigned k = 0; k < count; ++k) {
        NetworkPolicy p;
        if (k < targets) {
            p.ns = nsName(0);
            p.name = "monitoring-" + std::to_string(k);
            p.podSelector = match(hotSubset(31 - k));
            p.egress = k % 2 == 1;
            p.ingressRules = {{{pods({{"role", "frontend"}})}, {tcp(9090)}}};
            if (p.egress)
                p.egressRules = {
                    {{Peer{std::nullopt, match({{"monitoring", "enabled"}}), std::nullopt, {}}},
                     {named("metrics")}}};
        } else {
            unsigned m = k - targets;
            p.ns = nsName(1 + (m * 37) % (namespaces - 1));
            p.name = "allow-prometheus-" + std::to_string(m);
            Peer peer{match(hotSubset(1 + (m * 7) % 31)), hotNsSelector(m), std::nullopt, {}};
            p.ingressRules = {{{peer}, {named("metrics")}}};
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<Object> connObjects(const ClusterSpec& spec, std::vector<Object>& policies) {
    Pod server{nsName(500 % spec.namespaces),
               "conn-server",
               {{"app", "conn-server"}, {"role", "backend"}},
               {*Address::parse(kConnServerIp)},
               {{"http", kConnPort, kTcp}}};
    Pod client{nsName(501 % spec.namespaces),
               "conn-client",
               {{"app", "conn-client"}, {"role", "client"}},
               {*Address::parse(kConnClientIp)},
               {}};
    NetworkPolicy allow;
    allow.ns = server.ns;
    allow.name = "conn-allow";
    allow.podSelector = match({{"app", "conn-server"}});
    Peer from{match({{"app", "conn-client"}}),
              match({{"kubernetes.io/metadata.name", client.ns}}),
              std::nullopt,
              {}};
    allow.ingressRules = {{{from}, {tcp(kConnPort)}}};
    NetworkPolicy deny;
    deny.ns = server.ns;
    deny.name = "conn-default-deny";
    NetworkPolicy scrape;
    scrape.ns = server.ns;
    scrape.name = "conn-scrape";
    scrape.podSelector = match({{"role", "backend"}});
    LabelSelector monitored;
    monitored.matchExpressions = {{"monitoring", Requirement::Op::Exists, {}}};
    scrape.ingressRules = {{{Peer{std::nullopt, monitored, std::nullopt, {}}}, {named("metrics")}}};
    NetworkPolicy egress;
    egress.ns = client.ns;
    egress.name = "conn-egress";
    egress.ingress = false;
    egress.egress = true;
    egress.podSelector = match({{"app", "conn-client"}});
    egress.egressRules = {
        {{Peer{std::nullopt, match(makeNamespace(500 % spec.namespaces).labels), std::nullopt, {}}},
         {named("http")}}};
    policies.insert(policies.end(), {allow, deny, scrape, egress});
    return {server, client};
}

}  // namespace

Cluster makeCluster(const ClusterSpec& spec) {
    Cluster c;
    for (unsigned i = 0; i < spec.namespaces; ++i)
        c.objects.push_back(makeNamespace(i));
    std::vector<Object> policies;
    std::vector<Object> extra;
    if (spec.connPods)
        extra = connObjects(spec, policies);
    if (spec.hotPolicies > 0)
        for (auto& p : hotPolicies(spec.hotPolicies, spec.namespaces))
            policies.push_back(std::move(p));
    std::mt19937 rng(spec.seed);
    for (unsigned j = 0; policies.size() < spec.policies; ++j)
        policies.push_back(genericPolicy(rng, j, spec.namespaces));

    c.hotOn = kHotOn;
    c.hotOff = {{"app", "prometheus-standby"}};
    c.hot = Pod{nsName(0), "hot", kHotOn, {ipv4((10u << 24 | 64u << 16) + 1)}, portsOf(1)};
    c.objects.push_back(c.hot);
    unsigned generated = spec.pods - 1 - unsigned(extra.size());
    for (unsigned i = 1; i <= generated; ++i)
        c.objects.push_back(makePod(spec, i));
    c.objects.insert(c.objects.end(), extra.begin(), extra.end());
    c.policies = unsigned(policies.size());
    c.objects.insert(c.objects.end(), policies.begin(), policies.end());
    return c;
}

namespace {

// Per policy, whether each of its selections (target, then peers) picks `pod`.
std::vector<std::vector<bool>> picks(const std::vector<Object>& objects, const Pod& pod) {
    ObjectSet set;
    set.apply(objects);
    set.apply({pod});
    std::vector<std::vector<bool>> out;
    for (const auto& [key, p] : set.policies()) {
        std::vector<bool> hits{selects(Selection{p.ns, std::nullopt, p.podSelector}, set, pod)};
        auto peers = [&](const std::vector<PolicyRule>& rules) {
            for (const auto& rule : rules)
                for (const auto& peer : rule.peers) {
                    if (peer.ipBlock)
                        continue;
                    Selection s = peer.namespaceSelector
                                      ? Selection{std::nullopt, peer.namespaceSelector,
                                                  peer.podSelector.value_or(LabelSelector{})}
                                      : Selection{p.ns, std::nullopt,
                                                  peer.podSelector.value_or(LabelSelector{})};
                    hits.push_back(selects(s, set, pod));
                }
        };
        if (p.ingress)
            peers(p.ingressRules);
        if (p.egress)
            peers(p.egressRules);
        out.push_back(std::move(hits));
    }
    return out;
}

}  // namespace

unsigned policiesSelecting(const std::vector<Object>& objects, const Pod& pod) {
    unsigned n = 0;
    for (const auto& hits : picks(objects, pod))
        n += std::count(hits.begin(), hits.end(), true) > 0;
    return n;
}

unsigned policiesChanging(const std::vector<Object>& objects, const Pod& a, const Pod& b) {
    auto x = picks(objects, a), y = picks(objects, b);
    unsigned n = 0;
    for (size_t i = 0; i < x.size(); ++i)
        n += x[i] != y[i];
    return n;
}

}  // namespace weft::bench
