// weave-policy manifests: kinds and fields, Lists and streams, errors, limits, round trips.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "manifest.hpp"

namespace weft::weave {
namespace {

Address ip(const char* text) {
    return *Address::parse(text);
}
Prefix net(const char* text) {
    return *Prefix::parse(text);
}

/// Parses text that must be error-free.
std::vector<Object> good(const std::string& text) {
    ParsedManifest p = parseManifest(text, "test.yaml");
    for (const auto& e : p.errors)
        ADD_FAILURE() << e.str();
    return p.objects;
}

/// The only object of `text`, of type T.
template <class T>
T one(const std::string& text) {
    std::vector<Object> objects = good(text);
    EXPECT_EQ(objects.size(), 1u);
    if (objects.size() != 1 || !std::holds_alternative<T>(objects[0])) {
        ADD_FAILURE() << "not one object of the expected kind";
        return T{};
    }
    return std::get<T>(objects[0]);
}

std::string allErrors(const ParsedManifest& p) {
    std::string text;
    for (const auto& e : p.errors)
        text += e.str() + "\n";
    return text;
}

TEST(ManifestKinds, NamespaceWithLabels) {
    Namespace ns = one<Namespace>(R"(
apiVersion: v1
kind: Namespace
metadata:
  name: team-x
  labels:
    ns: x
    app.kubernetes.io/part-of: shop
    empty: ""
)");
    EXPECT_EQ(ns.name, "team-x");
    EXPECT_EQ(ns.labels,
              (Labels{{"ns", "x"}, {"app.kubernetes.io/part-of", "shop"}, {"empty", ""}}));
}

TEST(ManifestKinds, PodWithEveryField) {
    Pod pod = one<Pod>(R"(
apiVersion: v1
kind: Pod
metadata:
  namespace: x
  name: a.web-0
  labels: {pod: a, tier: web}
  annotations: {ignored: "yes"}
spec:
  containers:
  - name: web
    image: nginx
    ports:
    - {name: http, containerPort: 8080}
    - {name: dns, containerPort: 53, protocol: UDP}
  - name: side
    ports:
    - {containerPort: 9000, protocol: SCTP}
status:
  phase: Running
  podIP: 10.0.0.5
  podIPs: [{ip: 10.0.0.5}, {ip: "fd00::5"}]
)");
    EXPECT_EQ(pod.ns, "x");
    EXPECT_EQ(pod.name, "a.web-0");
    EXPECT_EQ(pod.labels, (Labels{{"pod", "a"}, {"tier", "web"}}));
    EXPECT_EQ(pod.ips, (std::vector<Address>{ip("10.0.0.5"), ip("fd00::5")}));
    EXPECT_EQ(pod.ports, (std::vector<ContainerPort>{
                             {"http", 8080, kTcp}, {"dns", 53, kUdp}, {"", 9000, kSctp}}));
}

TEST(ManifestKinds, PodDefaults) {
    // No namespace: "default"; no podIPs: podIP; no spec, no labels: nothing.
    Pod pod =
        one<Pod>("{apiVersion: v1, kind: Pod, metadata: {name: p}, status: {podIP: 10.1.2.3}}");
    EXPECT_EQ(pod.ns, "default");
    EXPECT_TRUE(pod.labels.empty());
    EXPECT_EQ(pod.ips, (std::vector<Address>{ip("10.1.2.3")}));
    EXPECT_TRUE(pod.ports.empty());
    // Pending: no IP at all.
    Pod pending =
        one<Pod>("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Pending}\n");
    EXPECT_TRUE(pending.ips.empty());
}

TEST(ManifestKinds, PodIpsOfHostNetworkAndFinishedPodsAreLeftOut) {
    const char* text = R"(
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: x}
spec: {hostNetwork: %s}
status: {phase: %s, podIPs: [{ip: 192.0.2.10}]}
)";
    auto pod = [&](const char* hostNetwork, const char* phase) {
        char buf[512];
        std::snprintf(buf, sizeof buf, text, hostNetwork, phase);
        return one<Pod>(buf);
    };
    EXPECT_EQ(pod("false", "Running").ips.size(), 1u);
    EXPECT_TRUE(pod("true", "Running").ips.empty());
    EXPECT_TRUE(pod("false", "Succeeded").ips.empty());
    EXPECT_TRUE(pod("false", "Failed").ips.empty());
}

const char* const kFullPolicy = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: x
spec:
  podSelector:
    matchLabels: {pod: a}
    matchExpressions:
    - {key: tier, operator: In, values: [web, api, web]}
    - {key: env, operator: NotIn, values: [prod]}
    - {key: team, operator: Exists}
    - {key: legacy, operator: DoesNotExist}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
    - namespaceSelector: {matchLabels: {ns: y}}
    - podSelector: {}
      namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [z]}]}
    - ipBlock:
        cidr: 10.0.0.1/8
        except: [10.1.0.0/16, 10.2.3.0/24]
    ports:
    - port: 80
    - {protocol: UDP, port: 53}
    - {protocol: SCTP, port: 7000, endPort: 7010}
    - {port: http}
    - protocol: UDP
  - {}
  egress:
  - to:
    - ipBlock: {cidr: "2001:db8::/32"}
)";

TEST(ManifestKinds, NetworkPolicyWithEveryField) {
    NetworkPolicy p = one<NetworkPolicy>(kFullPolicy);
    EXPECT_EQ(p.ns, "x");
    EXPECT_EQ(p.name, "allow-web");
    EXPECT_EQ(p.podSelector.matchLabels, (Labels{{"pod", "a"}}));
    using Op = Requirement::Op;
    EXPECT_EQ(p.podSelector.matchExpressions,
              (std::vector<Requirement>{{"tier", Op::In, {"api", "web"}},  // sorted, unique
                                        {"env", Op::NotIn, {"prod"}},
                                        {"team", Op::Exists, {}},
                                        {"legacy", Op::DoesNotExist, {}}}));
    EXPECT_TRUE(p.ingress);
    EXPECT_TRUE(p.egress);
    ASSERT_EQ(p.ingressRules.size(), 2u);
    const PolicyRule& rule = p.ingressRules[0];
    ASSERT_EQ(rule.peers.size(), 4u);
    EXPECT_EQ(rule.peers[0].podSelector, (LabelSelector{{{"pod", "b"}}, {}}));
    EXPECT_FALSE(rule.peers[0].namespaceSelector);
    EXPECT_FALSE(rule.peers[1].podSelector);
    EXPECT_EQ(rule.peers[1].namespaceSelector, (LabelSelector{{{"ns", "y"}}, {}}));
    EXPECT_EQ(rule.peers[2].podSelector, LabelSelector{});  // present and empty: every pod
    EXPECT_EQ(rule.peers[2].namespaceSelector, (LabelSelector{{}, {{"ns", Op::In, {"z"}}}}));
    EXPECT_EQ(rule.peers[3].ipBlock, net("10.0.0.0/8"));  // host bits cleared, as the API does
    EXPECT_EQ(rule.peers[3].except, (std::vector<Prefix>{net("10.1.0.0/16"), net("10.2.3.0/24")}));
    EXPECT_FALSE(rule.peers[3].podSelector || rule.peers[3].namespaceSelector);
    ASSERT_EQ(rule.ports.size(), 5u);
    EXPECT_EQ(rule.ports[0], (PolicyPort{kTcp, 80, std::nullopt, ""}));
    EXPECT_EQ(rule.ports[1], (PolicyPort{kUdp, 53, std::nullopt, ""}));
    EXPECT_EQ(rule.ports[2], (PolicyPort{kSctp, 7000, 7010, ""}));
    EXPECT_EQ(rule.ports[3], (PolicyPort{kTcp, std::nullopt, std::nullopt, "http"}));
    EXPECT_EQ(rule.ports[4], (PolicyPort{kUdp, std::nullopt, std::nullopt, ""}));
    EXPECT_EQ(p.ingressRules[1], PolicyRule{});  // `{}`: every peer, every port
    ASSERT_EQ(p.egressRules.size(), 1u);
    EXPECT_EQ(p.egressRules[0].peers[0].ipBlock, net("2001:db8::/32"));
}

struct TypesCase {
    const char* spec;
    bool ingress;
    bool egress;
};

class PolicyTypes : public testing::TestWithParam<TypesCase> {};

TEST_P(PolicyTypes, DefaultAsTheApiServer) {
    std::string text =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: x}\nspec: " +
        std::string(GetParam().spec) + "\n";
    NetworkPolicy p = one<NetworkPolicy>(text);
    EXPECT_EQ(p.ingress, GetParam().ingress) << GetParam().spec;
    EXPECT_EQ(p.egress, GetParam().egress) << GetParam().spec;
}

INSTANTIATE_TEST_SUITE_P(
    Manifest, PolicyTypes,
    testing::Values(
        TypesCase{"{podSelector: {}}", true, false},
        TypesCase{"{podSelector: {}, ingress: [{}]}", true, false},
        TypesCase{"{podSelector: {}, egress: [{}]}", true, true},
        TypesCase{"{podSelector: {}, egress: []}", true, false},
        TypesCase{"{podSelector: {}, policyTypes: [], egress: [{}]}", true, true},
        TypesCase{"{podSelector: {}, policyTypes: [Egress]}", false, true},
        TypesCase{"{podSelector: {}, policyTypes: [Egress], ingress: [{}]}", false, true},
        TypesCase{"{podSelector: {}, policyTypes: [Ingress], egress: [{}]}", true, false},
        TypesCase{"{podSelector: {}, policyTypes: [Ingress, Egress]}", true, true},
        TypesCase{"{}", true, false}));

TEST(ManifestStreams, MultiDocumentYamlSkipsEmptyDocuments) {
    ParsedManifest p = parseManifest(R"(
# a comment before the first document
---
apiVersion: v1
kind: Namespace
metadata: {name: x}
---
---
# only a comment
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
...
)",
                                     "m.yaml");
    EXPECT_EQ(allErrors(p), "");
    ASSERT_EQ(p.objects.size(), 2u);
    EXPECT_EQ(keyOf(p.objects[0]).str(), "Namespace x");
    EXPECT_EQ(keyOf(p.objects[1]).str(), "Pod x/a");
}

TEST(ManifestStreams, ListsAndArrays) {
    // kind: List as kubectl prints it; typed lists whose items lack kind and apiVersion, as
    // the API server sends them; a JSON array; concatenated JSON values (jq -c).
    const char* list = R"({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "x"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"}}]})";
    EXPECT_EQ(good(list).size(), 2u);
    const char* podList = R"(
apiVersion: v1
kind: PodList
items:
- metadata: {name: a, namespace: x}
- metadata: {name: b, namespace: y}
)";
    std::vector<Object> pods = good(podList);
    ASSERT_EQ(pods.size(), 2u);
    EXPECT_EQ(keyOf(pods[1]).str(), "Pod y/b");
    EXPECT_EQ(good("apiVersion: v1\nkind: NamespaceList\nitems: [{metadata: {name: z}}]\n").size(),
              1u);
    std::vector<Object> policies = good(R"({"apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicyList", "items": [{"metadata": {"name": "p", "namespace": "x"},
        "spec": {"podSelector": {}}}]})");
    ASSERT_EQ(policies.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<NetworkPolicy>(policies[0]));
    EXPECT_EQ(good(R"([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
                      {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "y"}}])")
                  .size(),
              2u);
    ParsedManifest array = parseManifest(
        R"([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}, 5])", "a.json");
    EXPECT_EQ(array.objects.size(), 1u);
    ASSERT_EQ(array.errors.size(), 1u);
    EXPECT_EQ(array.errors[0].field, "[1]");
    ParsedManifest stream = parseManifest(
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"x\"}}\n"
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"Bad\"}}\n"
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"z\"}}\n",
        "ndjson");
    EXPECT_EQ(stream.objects.size(), 2u);
    ASSERT_EQ(stream.errors.size(), 1u);
    EXPECT_EQ(stream.errors[0].document, 2);
    EXPECT_EQ(stream.errors[0].line, 2);
    EXPECT_EQ(stream.errors[0].field, "metadata.name");
}

TEST(ManifestStreams, ListInsideAListIsRefused) {
    ParsedManifest p = parseManifest(
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: []}\n", "m");
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0].field, "items[0].kind");
}

TEST(ManifestStreams, FlowYamlThatIsNotJsonIsReadAsYaml) {
    Namespace ns = one<Namespace>("{apiVersion: v1, kind: Namespace, metadata: {name: x}}");
    EXPECT_EQ(ns.name, "x");
}

TEST(ManifestStreams, OtherKindsAreIgnoredByName) {
    ParsedManifest p = parseManifest(R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
)",
                                     "m");
    EXPECT_EQ(allErrors(p), "");
    EXPECT_TRUE(p.objects.empty());
    EXPECT_EQ(p.ignored,
              (std::vector<std::string>{"Service x/web", "Deployment api", "ClusterRole reader"}));
}

TEST(ManifestStreams, DuplicatesLaterWins) {
    std::vector<Object> objects = good(R"(
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {v: "1"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {v: "2"}}
)");
    // Both are returned in order; applying them in order leaves the later one.
    ASSERT_EQ(objects.size(), 2u);
    EXPECT_EQ(std::get<Namespace>(objects[1]).labels.at("v"), "2");
}

TEST(ManifestYaml, PlainScalarsAreTypedQuotedOnesAreStrings) {
    const char* policy = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {version: "1", enabled: 'yes', name: ~}}
  ingress:
  - ports: [{port: 80}, {port: 0x51}, {port: "http"}, {port: !!int "82"}]
)";
    NetworkPolicy p = one<NetworkPolicy>(policy);
    EXPECT_EQ(p.podSelector.matchLabels,
              (Labels{{"version", "1"}, {"enabled", "yes"}, {"name", ""}}));
    ASSERT_EQ(p.ingressRules[0].ports.size(), 4u);
    EXPECT_EQ(p.ingressRules[0].ports[0].port, 80);
    EXPECT_EQ(p.ingressRules[0].ports[1].port, 81);  // YAML 1.1 hex
    EXPECT_EQ(p.ingressRules[0].ports[2].namedPort, "http");
    EXPECT_EQ(p.ingressRules[0].ports[3].port, 82);

    // A quoted number is a string, so a (bad) port name; unquoted numbers and booleans are
    // not label values. As the API server would say.
    auto error = [](const std::string& snippet) {
        ParsedManifest r = parseManifest(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n" +
                snippet,
            "m");
        EXPECT_EQ(r.errors.size(), 1u) << snippet;
        return r.errors.empty() ? ManifestError{} : r.errors[0];
    };
    ManifestError quotedPort = error("  ingress: [{ports: [{port: \"80\"}]}]\n");
    EXPECT_EQ(quotedPort.field, "spec.ingress[0].ports[0].port");
    EXPECT_NE(quotedPort.message.find("at least one letter"), std::string::npos);
    ManifestError number = error("  podSelector: {matchLabels: {version: 1}}\n");
    EXPECT_EQ(number.field, "spec.podSelector.matchLabels[version]");
    EXPECT_NE(number.message.find("not a number (quote it in YAML)"), std::string::npos);
    ManifestError boolean = error("  podSelector: {matchLabels: {enabled: true}}\n");
    EXPECT_NE(boolean.message.find("not a boolean"), std::string::npos);
    ManifestError floating = error("  ingress: [{ports: [{port: 80.0}]}]\n");
    EXPECT_NE(floating.message.find("must be an integer"), std::string::npos);
}

TEST(ManifestYaml, YesNoOnOffAndSingleLettersStayStrings) {
    // YAML 1.1 would make these booleans; the upstream tests' namespace y must stay "y".
    Pod pod = one<Pod>(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: y\n"
        "  labels: {a: yes, b: no, c: on, d: off, e: n, f: Y}\n");
    EXPECT_EQ(pod.ns, "y");
    EXPECT_EQ(
        pod.labels,
        (Labels{{"a", "yes"}, {"b", "no"}, {"c", "on"}, {"d", "off"}, {"e", "n"}, {"f", "Y"}}));
}

TEST(ManifestYaml, AnchorsAliasesAndMergeKeys) {
    std::vector<Object> objects = good(R"(
apiVersion: v1
kind: Pod
metadata:
  name: a
  labels:
    <<: [&one {team: x, tier: web}, {tier: db, zone: z}]
    tier: api
status: {podIPs: [&addr {ip: 10.0.0.1}]}
spec:
  containers: [{ports: [&http {name: http, containerPort: 80}]}, {ports: [*http]}]
)");
    ASSERT_EQ(objects.size(), 1u);
    const Pod& pod = std::get<Pod>(objects[0]);
    // Explicit keys win over merged ones, earlier merged maps over later ones.
    EXPECT_EQ(pod.labels, (Labels{{"team", "x"}, {"tier", "api"}, {"zone", "z"}}));
    EXPECT_EQ(pod.ports, (std::vector<ContainerPort>{{"http", 80, kTcp}, {"http", 80, kTcp}}));
}

TEST(ManifestYaml, DuplicateKeysAreRefused) {
    ParsedManifest p = parseManifest(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {a: b}\n  labels: {}\n",
        "m");
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_NE(p.errors[0].message.find("duplicate key \"labels\" at line 6"), std::string::npos);
    EXPECT_EQ(p.errors[0].line, 6);
    ParsedManifest j = parseManifest(R"({"kind": "Namespace", "kind": "Pod"})", "j");
    ASSERT_EQ(j.errors.size(), 1u);
    EXPECT_NE(j.errors[0].message.find("duplicate key \"kind\""), std::string::npos);
}

TEST(ManifestYaml, SyntaxErrorsNameTheLine) {
    ParsedManifest p = parseManifest(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\nkind: Pod\n  bad: [\n",
        "s.yaml");
    EXPECT_EQ(p.objects.size(), 1u);  // the document before the error stays
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0].document, 2);
    EXPECT_GE(p.errors[0].line, 5);
    EXPECT_NE(p.errors[0].message.find("YAML syntax error at line"), std::string::npos)
        << p.errors[0].message;
    ParsedManifest j = parseManifest("{\"kind\": \"Pod\",\n \"metadata\": [}", "j");
    ASSERT_EQ(j.errors.size(), 1u);
    EXPECT_EQ(j.errors[0].line, 2);
    EXPECT_NE(j.errors[0].message.find("JSON syntax error at line 2"), std::string::npos)
        << j.errors[0].message;
}

/// One bad input: the object and field its error must name, and a part of the message.
struct BadCase {
    const char* manifest;
    const char* object;
    const char* field;
    const char* message;
};

std::ostream& operator<<(std::ostream& os, const BadCase& c) {
    return os << c.manifest;
}

class BadObject : public testing::TestWithParam<BadCase> {};

TEST_P(BadObject, IsRefusedWithANamedError) {
    ParsedManifest p = parseManifest(GetParam().manifest, "bad.yaml");
    EXPECT_TRUE(p.objects.empty());
    ASSERT_EQ(p.errors.size(), 1u) << allErrors(p);
    const ManifestError& e = p.errors[0];
    EXPECT_EQ(e.object, GetParam().object);
    EXPECT_EQ(e.field, GetParam().field);
    EXPECT_NE(e.message.find(GetParam().message), std::string::npos) << e.message;
    EXPECT_EQ(e.str(), "bad.yaml: document 1: " + (e.object.empty() ? "" : e.object + ": ") +
                           (e.field.empty() ? "" : e.field + ": ") + e.message);
}

#define NP \
    "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: p, namespace: x}, "
#define POD "{apiVersion: v1, kind: Pod, metadata: {name: a, namespace: x}, "
#define POD_NO_META "{apiVersion: v1, kind: Pod, "

INSTANTIATE_TEST_SUITE_P(
    Manifest, BadObject,
    testing::Values(
        BadCase{"{apiVersion: v1, kind: Namespace, metadata: {name: Team_X}}", "Namespace Team_X",
                "metadata.name", "RFC 1123 label"},
        BadCase{"{apiVersion: v1, kind: Namespace, metadata: {name: a.b}}", "Namespace a.b",
                "metadata.name", "RFC 1123 label"},
        BadCase{"{apiVersion: v1, kind: Pod, metadata: {name: a_b, namespace: x}}", "Pod x/a_b",
                "metadata.name", "RFC 1123 subdomain"},
        BadCase{"{apiVersion: v1, kind: Pod, metadata: {namespace: x}}", "", "metadata.name",
                "required value"},
        BadCase{"{apiVersion: v1, kind: Pod, metadata: {name: a, namespace: X}}", "Pod X/a",
                "metadata.namespace", "RFC 1123 label"},
        BadCase{"{apiVersion: v2, kind: Pod, metadata: {name: a, namespace: x}}", "Pod x/a",
                "apiVersion", "must be v1 for a Pod"},
        BadCase{"{apiVersion: v1, kind: NetworkPolicy, metadata: {name: p, namespace: x}}",
                "NetworkPolicy x/p", "apiVersion", "must be networking.k8s.io/v1"},
        BadCase{"{apiVersion: v1, metadata: {name: x}}", "", "kind", "required value"},
        BadCase{"{apiVersion: v1, kind: pod, metadata: {name: x}}", "", "kind",
                "did you mean \"Pod\""},
        BadCase{POD_NO_META "metadata: {name: a, namespace: x, labels: {\"a b\": c}}}", "Pod x/a",
                "metadata.labels", "invalid key \"a b\""},
        BadCase{POD_NO_META "metadata: {name: a, namespace: x, labels: {a/b/c: c}}}", "Pod x/a",
                "metadata.labels", "invalid key \"a/b/c\""},
        BadCase{POD_NO_META "metadata: {name: a, namespace: x, labels: {app: \"-web\"}}}",
                "Pod x/a", "metadata.labels[app]", "invalid value \"-web\""},
        BadCase{POD_NO_META "metadata: {name: a, namespace: x, labels: {app: "
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}}",
                "Pod x/a", "metadata.labels[app]", "no more than 63 characters"},
        BadCase{POD_NO_META "metadata: {name: a, namespace: x, labels: [a, b]}}", "Pod x/a",
                "metadata.labels", "must be a map, not a list"},
        BadCase{POD "spec: \"oops\"}", "Pod x/a", "spec", "must be a map, not a string"},
        BadCase{POD "spec: {containers: [{ports: [{containerPort: 0}]}]}}", "Pod x/a",
                "spec.containers[0].ports[0].containerPort", "between 1 and 65535"},
        BadCase{POD "spec: {containers: [{ports: [{name: p}]}]}}", "Pod x/a",
                "spec.containers[0].ports[0].containerPort", "required value"},
        BadCase{POD "spec: {containers: [{ports: [{containerPort: 80, name: HTTP}]}]}}", "Pod x/a",
                "spec.containers[0].ports[0].name", "invalid value \"HTTP\""},
        BadCase{POD "spec: {containers: [{ports: [{containerPort: 80, name: http}, "
                    "{containerPort: 81, name: http}]}]}}",
                "Pod x/a", "spec.containers[0].ports[1].name", "duplicate value"},
        BadCase{POD "spec: {containers: [{ports: [{containerPort: 80, protocol: tcp}]}]}}",
                "Pod x/a", "spec.containers[0].ports[0].protocol", "unsupported value \"tcp\""},
        BadCase{POD "status: {podIPs: [{ip: 10.0.0.256}]}}", "Pod x/a", "status.podIPs[0].ip",
                "must be a valid IP address"},
        BadCase{POD "status: {podIP: nope}}", "Pod x/a", "status.podIP",
                "must be a valid IP address"},
        BadCase{POD "status: {podIPs: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]}}", "Pod x/a",
                "status.podIPs", "no more than one IP for each IP family"},
        BadCase{NP "spec: {podSelector: {matchExpressions: [{key: a, operator: In}]}}}",
                "NetworkPolicy x/p", "spec.podSelector.matchExpressions[0].values",
                "must be specified when `operator` is 'In'"},
        BadCase{NP "spec: {podSelector: {matchExpressions: [{key: a, operator: Exists, "
                   "values: [b]}]}}}",
                "NetworkPolicy x/p", "spec.podSelector.matchExpressions[0].values",
                "may not be specified"},
        BadCase{NP "spec: {podSelector: {matchExpressions: [{key: a, operator: Equals, "
                   "values: [b]}]}}}",
                "NetworkPolicy x/p", "spec.podSelector.matchExpressions[0].operator",
                "unsupported value \"Equals\""},
        BadCase{NP "spec: {podSelector: {matchExpressions: [{operator: Exists}]}}}",
                "NetworkPolicy x/p", "spec.podSelector.matchExpressions[0].key", "required value"},
        BadCase{NP "spec: {policyTypes: [Ingres]}}", "NetworkPolicy x/p", "spec.policyTypes[0]",
                "unsupported value \"Ingres\""},
        BadCase{NP "spec: {ingress: [{from: [{}]}]}}", "NetworkPolicy x/p",
                "spec.ingress[0].from[0]", "must specify a peer"},
        BadCase{NP "spec: {egress: [{to: [{podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}]}]}}",
                "NetworkPolicy x/p", "spec.egress[0].to[0]", "may not specify both ipBlock"},
        BadCase{NP "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0}}]}]}}", "NetworkPolicy x/p",
                "spec.ingress[0].from[0].ipBlock.cidr", "valid CIDR"},
        BadCase{NP "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}}",
                "NetworkPolicy x/p", "spec.ingress[0].from[0].ipBlock.cidr", "valid CIDR"},
        BadCase{NP "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: "
                   "[11.0.0.0/16]}}]}]}}",
                "NetworkPolicy x/p", "spec.ingress[0].from[0].ipBlock.except[0]", "strict subset"},
        BadCase{NP "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: "
                   "[10.0.0.0/8]}}]}]}}",
                "NetworkPolicy x/p", "spec.ingress[0].from[0].ipBlock.except[0]", "strict subset"},
        BadCase{NP "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: "
                   "[\"fd00::/64\"]}}]}]}}",
                "NetworkPolicy x/p", "spec.ingress[0].from[0].ipBlock.except[0]", "strict subset"},
        BadCase{NP "spec: {ingress: [{ports: [{port: 65536}]}]}}", "NetworkPolicy x/p",
                "spec.ingress[0].ports[0].port", "between 1 and 65535"},
        BadCase{NP "spec: {ingress: [{ports: [{port: web--api}]}]}}", "NetworkPolicy x/p",
                "spec.ingress[0].ports[0].port", "consecutive hyphens"},
        BadCase{NP "spec: {ingress: [{ports: [{port: a-very-long-port-name}]}]}}",
                "NetworkPolicy x/p", "spec.ingress[0].ports[0].port", "no more than 15"},
        BadCase{NP "spec: {ingress: [{ports: [{port: [80]}]}]}}", "NetworkPolicy x/p",
                "spec.ingress[0].ports[0].port", "an integer or a port name"},
        BadCase{NP "spec: {egress: [{ports: [{port: 90, endPort: 80}]}]}}", "NetworkPolicy x/p",
                "spec.egress[0].ports[0].endPort", "greater than or equal to `port`"},
        BadCase{NP "spec: {egress: [{ports: [{endPort: 80}]}]}}", "NetworkPolicy x/p",
                "spec.egress[0].ports[0].endPort", "`port` is not specified"},
        BadCase{NP "spec: {egress: [{ports: [{port: http, endPort: 80}]}]}}", "NetworkPolicy x/p",
                "spec.egress[0].ports[0].endPort", "non-numerical"},
        BadCase{NP "spec: {egress: [{ports: [{port: 80, protocol: ICMP}]}]}}", "NetworkPolicy x/p",
                "spec.egress[0].ports[0].protocol", "unsupported value"},
        BadCase{NP "spec: {ingress: {from: []}}}", "NetworkPolicy x/p", "spec.ingress",
                "must be a list, not a map"},
        BadCase{NP "spec: {ingress: [\"all\"]}}", "NetworkPolicy x/p", "spec.ingress[0]",
                "must be a map, not a string"},
        BadCase{"\"just a string\"", "", "", "must be a Kubernetes object (a map), not a string"},
        BadCase{"{apiVersion: v2, kind: List, items: []}", "", "apiVersion", "must be v1"},
        BadCase{"{apiVersion: v1, kind: List, items: {a: 1}}", "", "items", "must be a list"},
        BadCase{"{apiVersion: v1, kind: List, items: [42]}", "", "items[0]",
                "must be a Kubernetes object"},
        BadCase{"{apiVersion: v1, kind: PodList, items: [{metadata: {name: A}}]}", "Pod default/A",
                "metadata.name", "RFC 1123 subdomain"},
        BadCase{"{apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Pod, metadata: "
                "{labels: {a: b}}}]}",
                "", "items[0].metadata.name", "required value"}));

TEST(ManifestErrors, EveryProblemOfAnObjectIsListed) {
    ParsedManifest p = parseManifest(
        POD_NO_META "metadata: {name: a, namespace: x, labels: {a: \"-\"}}, status: {podIP: x}}",
        "m");
    EXPECT_EQ(p.errors.size(), 2u) << allErrors(p);
    EXPECT_TRUE(p.objects.empty());
}

TEST(ManifestErrors, AtMostAHundredAreKept) {
    std::string text;
    for (int i = 0; i < 500; ++i)
        text += "---\n{apiVersion: v1, kind: Namespace, metadata: {name: Bad" + std::to_string(i) +
                "}}\n";
    ParsedManifest p = parseManifest(text, "m");
    ASSERT_EQ(p.errors.size(), 101u);
    EXPECT_EQ(p.errors.back().message, "... and 400 more errors");
    EXPECT_EQ(p.errors[99].object, "Namespace Bad99");
}

TEST(ManifestErrors, LongAndBinaryValuesAreShortenedInMessages) {
    std::string name(100000, 'A');
    name[5] = '\x01';
    ParsedManifest p = parseManifest(
        "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"" + name +
            "\\u00e9\"}}",
        "m");
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_LT(p.errors[0].str().size(), 600u);
    EXPECT_NE(p.errors[0].object.find("AAAAA\\x01A"), std::string::npos) << p.errors[0].object;
}

TEST(ManifestRobustness, GarbageAndBinaryNeverThrow) {
    std::mt19937 random(12);
    for (int round = 0; round < 300; ++round) {
        std::string text(1 + random() % 2000, '\0');
        for (char& c : text)
            c = static_cast<char>(random() % 256);
        if (round % 3 == 1)
            text[0] = '{';
        if (round % 3 == 2)
            text = "apiVersion: v1\nkind: Pod\nmetadata: " + text;
        ParsedManifest p;
        EXPECT_NO_THROW(p = parseManifest(text, "garbage"));
        EXPECT_LE(p.errors.size(), 101u);
    }
    // Structurally fine but every type wrong: errors, never an exception.
    const char* wrongTypes[] = {
        R"({"apiVersion": 1, "kind": ["Pod"]})",
        R"({"apiVersion": "v1", "kind": "Pod", "metadata": "a"})",
        R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": 5, "labels": "x"}})",
        R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": {"a": 1}}, "status": {"podIPs": "10.0.0.1"}})",
        R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [1, null, {"ports": [null, 3]}]}, "status": {"podIPs": [null, {"ip": 4}]}})",
        R"({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": {"podSelector": [], "policyTypes": "Ingress", "ingress": [{"from": "x", "ports": {"port": 80}}, null], "egress": [{"to": [null, {"ipBlock": "10.0.0.0/8"}, {"ipBlock": {"cidr": 10, "except": "x"}}]}]}})",
        R"({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": {"podSelector": {"matchLabels": {"a": {"b": 1}}, "matchExpressions": [{"key": 1, "operator": null, "values": "x"}, null]}, "policyTypes": [null, 1]}})",
        R"({"apiVersion": "v1", "kind": "List", "items": {"a": 1}})",
        R"([1, "x", null, [], {}])",
        R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"ports": [{"containerPort": 1e400}, {"containerPort": 18446744073709551615}, {"containerPort": -1}]}]}})",
    };
    for (const char* text : wrongTypes) {
        ParsedManifest p;
        EXPECT_NO_THROW(p = parseManifest(text, "types")) << text;
        EXPECT_TRUE(p.objects.empty()) << text;
        EXPECT_FALSE(p.errors.empty()) << text;
    }
}

TEST(ManifestRobustness, StrayFlowTokenDoesNotLoop) {
    // yaml-cpp 0.7 alone returns empty documents forever on this input.
    ParsedManifest p = parseManifest(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n,\n", "comma.yaml");
    EXPECT_EQ(p.objects.size(), 1u);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_GE(p.errors[0].document, 2);
    EXPECT_NE(p.errors[0].message.find("unexpected \",\""), std::string::npos)
        << p.errors[0].message;
}

TEST(ManifestRobustness, DeepNestingIsRefused) {
    std::string json = std::string(100000, '[') + std::string(100000, ']');
    ParsedManifest p = parseManifest(json, "deep.json");
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_NE(p.errors[0].message.find("nested deeper than 64 levels"), std::string::npos)
        << p.errors[0].message;

    std::string yaml = "apiVersion: v1\nkind: Pod\nmetadata: " + std::string(1000, '[') +
                       std::string(1000, ']') + "\n";
    ParsedManifest y = parseManifest(yaml, "deep.yaml");
    ASSERT_EQ(y.errors.size(), 1u);
    EXPECT_NE(y.errors[0].message.find("nested deeper than 64 levels"), std::string::npos)
        << y.errors[0].message;

    // Block style, then a good document after it: that one is still read.
    std::string block = "a:\n";
    for (int i = 1; i < 80; ++i)
        block += std::string(i * 2, ' ') + "a:\n";
    block += "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n";
    ParsedManifest b = parseManifest(block, "block.yaml");
    EXPECT_EQ(b.objects.size(), 1u);
    ASSERT_EQ(b.errors.size(), 1u);
    EXPECT_EQ(b.errors[0].document, 1);

    // Up to the limit is fine.
    std::string ok = std::string(60, '[') + std::string(60, ']');
    EXPECT_EQ(parseManifest(ok, "ok").errors.size(), 1u);  // only "not an object" errors
}

TEST(ManifestRobustness, AliasBombIsRefused) {
    std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'k'; ++c) {
        yaml += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i)
            yaml += std::string(i ? ", *" : "*") + prev;
        yaml += "]\n";
        prev = c;
    }
    ParsedManifest p = parseManifest(yaml, "bomb.yaml");
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_NE(p.errors[0].message.find("aliases expand to more than"), std::string::npos);
}

TEST(ManifestRoundTrip, EveryKind) {
    std::vector<Object> objects = good(kFullPolicy);
    for (const Object& o : good(R"(
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {ns: x, a.b/c: d}}
---
apiVersion: v1
kind: Namespace
metadata: {name: bare}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {pod: a}}
spec:
  containers:
  - ports: [{name: http, containerPort: 80}, {containerPort: 53, protocol: UDP}]
  - ports: [{name: http, containerPort: 8080}, {name: s, containerPort: 9, protocol: SCTP}]
status: {podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: pending, namespace: y}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: y}
spec: {podSelector: {}, policyTypes: [Egress]}
)"))
        objects.push_back(o);
    ASSERT_EQ(objects.size(), 6u);
    for (const Object& o : objects) {
        std::string text = weft::jsonText(toManifest(o), 2);
        ParsedManifest back = parseManifest(text, "roundtrip");
        EXPECT_EQ(allErrors(back), "") << text;
        ASSERT_EQ(back.objects.size(), 1u) << text;
        EXPECT_TRUE(back.objects[0] == o) << text;
    }
}

TEST(ManifestSpeed, TenThousandPodsInOneJsonList) {
    // Shaped like `kubectl get pods -A -o json`, with the fields weave-policy does not read.
    std::string text =
        R"({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [)";
    for (int i = 0; i < 10000; ++i) {
        std::string n = std::to_string(i);
        std::string ipText = "10." + std::to_string(i / 65536) + "." +
                             std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
        if (i > 0)
            text += ",";
        text +=
            R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-)" + n +
            R"(", "namespace": "ns-)" + std::to_string(i % 100) +
            R"(", "uid": "0b1e2c3d-0000-4000-8000-)" + n +
            R"(", "labels": {"app": "web", "pod-template-hash": "5d8f9c)" + n +
            R"(", "tier": "frontend"}, "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"},
                "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "x"}]},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25", "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
                "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access", "readOnly": true}]}],
                "nodeName": "node-1", "restartPolicy": "Always", "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420}}]},
                "status": {"phase": "Running", "hostIP": "192.168.1.10", "podIP": ")" +
            ipText + R"(", "podIPs": [{"ip": ")" + ipText + R"("}],
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}],
                "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0, "image": "nginx:1.25", "started": true, "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]}})";
    }
    text += "]}";
    ParsedManifest p = parseManifest(text, "pods.json");
    EXPECT_EQ(allErrors(p), "");
    ASSERT_EQ(p.objects.size(), 10000u);
    const Pod& last = std::get<Pod>(p.objects.back());
    EXPECT_EQ(last.name, "web-9999");
    EXPECT_EQ(last.ns, "ns-99");
    EXPECT_EQ(last.ips, (std::vector<Address>{ip("10.0.39.15")}));
    EXPECT_EQ(last.ports.size(), 2u);
}

}  // namespace
}  // namespace weft::weave
