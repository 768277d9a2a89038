"""The NetworkPolicy conformance cases as data: upstream's e2e suite, case by case, and ours.

Upstream is kubernetes test/e2e/network/netpol/network_policy.go as of 1.27-1.29 (read at
the 1.29 version: 42 cases in "NetworkPolicy between server and client" probed over TCP, 3
"... using UDP", 3 "... using SCTP"). Every case is written as upstream writes it: the same
policies (as the JSON the API server would store, minus defaulting), the same updates and
relabellings, the same probes, and the expected matrix built with the same calls
(Reachability below mirrors upstream's ExpectPeer/ExpectAllIngress/ExpectAllEgress/Expect).
Extra cases (marked extra=True) cover what upstream does not test.

The cluster is upstream's: namespaces x, y, z labelled {"ns": <name>} (plus the
kubernetes.io/metadata.name label the API server adds), pods a, b, c in each labelled
{"pod": <name>}, one container per (port, protocol) for 80 and 81 and TCP, UDP and SCTP, the
port named "serve-<port>-<protocol>" ("serve-80-tcp"). Upstream makes only the containers a
case probes; serving all of them changes no verdict (a named port resolves to the same
number). Cases that need pod addresses (ipBlock) take them from the Cluster, as upstream
reads them from the API server, using the pod's first (primary) address.

Using a case:
    cluster = Cluster(ips)                  # or Cluster(ips, variant=case.variant)
    apply cluster.objects()                 # Namespaces and Pods
    for step in case.steps(cluster):        # Apply / Delete / Relabel / Probe
        ...
A Probe's `expected` is {("x/a", "y/b"): bool} for all 81 ordered pairs. Upstream ignores a
pod's connections to itself (ignoreLoopback: undefined across CNIs); so does mismatches().
"""
import copy
import ipaddress
from dataclasses import dataclass, field

NAMESPACES = ("x", "y", "z")
POD_NAMES = ("a", "b", "c")
PORTS = (80, 81)
PROTOCOLS = ("TCP", "UDP", "SCTP")
PODS = tuple(f"{ns}/{p}" for ns in NAMESPACES for p in POD_NAMES)
METADATA_NAME = "kubernetes.io/metadata.name"

# Cluster variant for named ports that resolve to different numbers on different pods: on
# every pod c the names of 80 and 81 are swapped (for each protocol), so "serve-80-tcp" is
# port 80 on pods a and b but port 81 on pods c. Listeners are unchanged.
SWAPPED_NAMES = "c-port-names-swapped"


def port_name(port, protocol):
    return f"serve-{port}-{protocol.lower()}"


def default_ips(dual_stack=True):
    """An address layout for the 9 pods (the kernel tests pass the testbed's own)."""
    out = {}
    for i, pod in enumerate(PODS):
        ips = [f"10.244.1.{10 + i}"]
        if dual_stack:
            ips.append(f"fd00:244:1::{10 + i:x}")
        out[pod] = ips
    return out


class Cluster:
    """Namespaces x, y, z with pods a, b, c, as upstream's model builds them."""

    def __init__(self, ips=None, variant=None):
        self.ips = {p: list(v) for p, v in (ips or default_ips()).items()}
        if set(self.ips) != set(PODS) or not all(self.ips.values()):
            raise ValueError("need at least one address for each of " + ", ".join(PODS))
        self.variant = variant
        self.family = ipaddress.ip_address(self.ips["x/a"][0]).version  # primary family
        self.ns_labels = {ns: {"ns": ns, METADATA_NAME: ns} for ns in NAMESPACES}
        self.pod_labels = {p: {"pod": p.split("/")[1]} for p in PODS}

    @property
    def dual_stack(self):
        return all({ipaddress.ip_address(ip).version for ip in v} == {4, 6} for v in self.ips.values())

    def ip(self, pod, family=None):
        """The pod's address of `family` (the primary, first one by default)."""
        for ip in self.ips[pod]:
            if family is None or ipaddress.ip_address(ip).version == family:
                return ip
        raise KeyError(f"{pod} has no IPv{family} address")

    def host_cidr(self, pod, family=None):
        """"<ip>/32" or "<ip>/128", as upstream writes a pod's CIDR."""
        ip = self.ip(pod, family)
        return f"{ip}/{32 if ipaddress.ip_address(ip).version == 4 else 128}"

    def port_names(self, pod):
        """[(name, number, protocol)] of the pod's container ports."""
        swap = self.variant == SWAPPED_NAMES and pod.endswith("/c")
        out = []
        for port in PORTS:
            for proto in PROTOCOLS:
                named = (161 - port) if swap else port  # 80 <-> 81
                out.append((port_name(named, proto), port, proto))
        return out

    def namespace(self, ns, labels=None):
        labels = self.ns_labels[ns] if labels is None else labels
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": dict(labels)}}

    def pod(self, key, labels=None):
        ns, name = key.split("/")
        labels = self.pod_labels[key] if labels is None else labels
        containers = [{"name": f"cont-{port}-{proto.lower()}", "image": "agnhost",
                       "ports": [{"containerPort": port, "name": pname, "protocol": proto}]}
                      for pname, port, proto in self.port_names(key)]
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
                "spec": {"containers": containers},
                "status": {"phase": "Running", "podIP": self.ips[key][0],
                           "podIPs": [{"ip": ip} for ip in self.ips[key]]}}

    def objects(self):
        return [self.namespace(ns) for ns in NAMESPACES] + [self.pod(p) for p in PODS]


# ---- the expected matrix, built as upstream builds it ----

class Reachability:
    """Upstream's Reachability: a default for every pair, then Expect* calls in order.
    Peers are written "x/a", "x/*" (Peer{Namespace: x}), "*/a" or "*" (Peer{})."""

    def __init__(self, default=True, pods=PODS):
        self.pods = tuple(pods)
        self.values = {(s, d): default for s in self.pods for d in self.pods}

    @staticmethod
    def _matches(pattern, pod):
        if pattern == "*":
            return True
        pns, pname = pattern.split("/")
        ns, name = pod.split("/")
        return pns in ("*", ns) and pname in ("*", name)

    def expect(self, src, dst, connected):
        self.values[(src, dst)] = connected

    def expect_peer(self, src, dst, connected):
        for s in self.pods:
            for d in self.pods:
                if self._matches(src, s) and self._matches(dst, d):
                    self.values[(s, d)] = connected

    def expect_all_ingress(self, pod, connected):
        self.expect_peer("*", pod, connected)

    def expect_all_egress(self, pod, connected):
        self.expect_peer(pod, "*", connected)

    def matrix(self):
        return dict(self.values)


def mismatches(expected, observed, ignore_loopback=True):
    """[(src, dst, expected, observed)] where they differ (loopback pairs left out, as upstream)."""
    return [(s, d, v, observed.get((s, d))) for (s, d), v in sorted(expected.items())
            if not (ignore_loopback and s == d) and observed.get((s, d)) != v]


def format_matrix(matrix, pods=PODS):
    """Upstream's truth-table picture: rows are sources, "." allowed, "X" denied."""
    lines = ["-\t" + "\t".join(pods)]
    for s in pods:
        lines.append(s + "\t" + "\t".join("." if matrix.get((s, d)) else "X" for d in pods))
    return "\n".join(lines)


# ---- steps ----

@dataclass
class Apply:
    """Create or replace (same kind, namespace and name) these objects."""
    objects: list


@dataclass
class Delete:
    kind: str
    namespace: str
    name: str


@dataclass
class Relabel:
    """A Namespace ("y") or Pod ("x/a") now carries exactly `labels`; `object` is its manifest."""
    kind: str
    name: str
    labels: dict
    object: dict


@dataclass
class Probe:
    """Probe every ordered pair of pods on port/protocol over IPv`family`; compare with expected."""
    port: int
    protocol: str
    family: int
    expected: dict
    what: str = ""


@dataclass
class Case:
    name: str       # upstream's It text (or ours for extras)
    group: str      # "TCP", "UDP", "SCTP": which upstream context; "extra" for ours
    build: object   # build(Steps) -> None
    extra: bool = False
    variant: str = None            # a Cluster variant the case needs (SWAPPED_NAMES)
    requires: tuple = ()           # ("dual-stack",)
    context: str = field(default="")

    @property
    def full_name(self):
        """As ginkgo prints it, for upstream cases."""
        if self.extra:
            return self.name
        sctp = " [Feature:SCTPConnectivity] [LinuxOnly]" if self.group == "SCTP" else \
            " [LinuxOnly]" if self.group == "UDP" else ""
        return f"[sig-network] Netpol{sctp} {self.context} {self.name} [Feature:NetworkPolicy]"

    def steps(self, cluster):
        if "dual-stack" in self.requires and not cluster.dual_stack:
            raise ValueError(f"{self.name}: needs a dual-stack cluster")
        if cluster.variant != self.variant:
            raise ValueError(f"{self.name}: needs cluster variant {self.variant!r}")
        s = Steps(cluster)
        self.build(s)
        return s.steps


class Steps:
    """Upstream's helpers (CreatePolicy, UpdatePolicy, AddPodLabels, ValidateOrFail, ...)
    recording steps; keeps the labels in force so a relabel yields the whole new object."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.steps = []
        self.ns_labels = copy.deepcopy(cluster.ns_labels)
        self.pod_labels = copy.deepcopy(cluster.pod_labels)

    def create_policy(self, policy, ns):
        policy = copy.deepcopy(policy)
        policy["metadata"]["namespace"] = ns
        self.steps.append(Apply([copy.deepcopy(policy)]))  # later edits of the copy returned
        return policy                                       # must not change this step

    update_policy = create_policy  # an update replaces the object of that name

    def delete_policy(self, ns, name):
        self.steps.append(Delete("NetworkPolicy", ns, name))

    def _relabel_ns(self, ns):
        labels = dict(self.ns_labels[ns])
        self.steps.append(Relabel("Namespace", ns, labels, self.cluster.namespace(ns, labels)))

    def add_namespace_label(self, ns, key, value):
        self.ns_labels[ns][key] = value
        self._relabel_ns(ns)

    def delete_namespace_label(self, ns, key):
        self.ns_labels[ns].pop(key, None)
        self._relabel_ns(ns)

    def _relabel_pod(self, pod):
        labels = dict(self.pod_labels[pod])
        self.steps.append(Relabel("Pod", pod, labels, self.cluster.pod(pod, labels)))

    def add_pod_labels(self, pod, labels):
        self.pod_labels[pod].update(labels)
        self._relabel_pod(pod)

    def set_pod_labels(self, pod, labels):
        self.pod_labels[pod] = dict(labels)
        self._relabel_pod(pod)

    def reset_pod_labels(self, pod):
        self.set_pod_labels(pod, self.cluster.pod_labels[pod])

    def validate(self, port, protocol, reachability, family=None, what=""):
        fam = self.cluster.family if family is None else family
        self.steps.append(Probe(port, protocol, fam, reachability.matrix(), what))


# ---- manifest builders (upstream's GenNetworkPolicy* and SetSpec*Rules) ----

def labels_selector(**labels):
    return {"matchLabels": dict(labels)}


def expr(key, op, *values):
    req = {"key": key, "operator": op}
    if values:
        req["values"] = list(values)
    return req


def policy(name, pod_selector, ingress=None, egress=None, types=None):
    """A NetworkPolicy; like SetSpecIngressRules/SetSpecEgressRules, giving ingress (egress)
    rules, even none, adds Ingress (Egress) to policyTypes, in that order, unless `types`."""
    spec = {"podSelector": pod_selector}
    auto = []
    if ingress is not None:
        spec["ingress"] = list(ingress)
        auto.append("Ingress")
    if egress is not None:
        spec["egress"] = list(egress)
        auto.append("Egress")
    spec["policyTypes"] = list(types) if types is not None else auto
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def pod_match_policy(name, labels, ingress=None, egress=None, types=None):
    """GenNetworkPolicyWithNameAndPodMatchLabel."""
    return policy(name, {"matchLabels": dict(labels)}, ingress, egress, types)


def ns_sel(ns):
    return {"matchLabels": {METADATA_NAME: ns}}


def tcp(port):
    return {"port": port, "protocol": "TCP"}


X, Y, Z = NAMESPACES


# ---- upstream: "NetworkPolicy between server and client" (TCP) ----

def _default_deny_ingress(s, proto="TCP", name="deny-ingress"):
    s.create_policy(policy(name, {}, ingress=[]), X)
    r = Reachability()
    r.expect_peer("*", "x/*", False)
    s.validate(80, proto, r)


def _default_deny_all(s):
    s.create_policy(policy("deny-all", {}, ingress=[], egress=[]), X)
    r = Reachability()
    r.expect_peer("*", "x/*", False)
    r.expect_peer("x/*", "*", False)
    s.validate(80, "TCP", r)


def _allow_from_pod_selector(s):
    rule = {"from": [{"podSelector": labels_selector(pod="b")}]}
    s.create_policy(pod_match_policy("x-a-allows-x-b", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("x/b", "x/a", True)
    s.validate(80, "TCP", r)


def _allow_ingress_for_target(s):
    s.create_policy(policy("deny-all", {}, ingress=[]), X)
    rule = {"from": [{"podSelector": {}, "namespaceSelector": {}}]}
    s.create_policy(pod_match_policy("allow-all-to-a", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", True)
    r.expect_all_ingress("x/b", False)
    r.expect_all_ingress("x/c", False)
    s.validate(80, "TCP", r)


def _allow_from_all_namespaces(s):
    rule = {"from": [{"namespaceSelector": {"matchLabels": {}}}]}
    s.create_policy(pod_match_policy("allow-from-another-ns", {"pod": "a"}, ingress=[rule]), X)
    s.validate(80, "TCP", Reachability())


def _only_from_ns_y(r):
    r.expect_peer("x/*", "x/a", False)
    r.expect_peer("z/*", "x/a", False)


def _allow_from_ns_selector(s):
    rule = {"from": [{"namespaceSelector": ns_sel(Y)}]}
    s.create_policy(pod_match_policy("allow-client-a-via-ns-selector", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    _only_from_ns_y(r)
    s.validate(80, "TCP", r)


def _pod_selector_match_expressions(s):
    rule = {"from": [{"podSelector": {"matchExpressions": [expr("pod", "In", "b")]}}]}
    s.create_policy(pod_match_policy("x-a-allows-x-b", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("x/b", "x/a", True)
    s.validate(80, "TCP", r)


def _ns_selector_match_expressions(s):
    rule = {"from": [{"namespaceSelector": {"matchExpressions": [expr(METADATA_NAME, "In", Y)]}}]}
    s.create_policy(pod_match_policy("allow-ns-y-match-selector", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    _only_from_ns_y(r)
    s.validate(80, "TCP", r)


def _pod_or_ns_selector(s):
    rule = {"from": [{"namespaceSelector": {"matchExpressions": [expr(METADATA_NAME, "NotIn", X)]}},
                     {"podSelector": labels_selector(pod="b")}]}
    s.create_policy(pod_match_policy("allow-ns-y-match-selector", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect("x/a", "x/a", False)
    r.expect("x/c", "x/a", False)
    s.validate(80, "TCP", r)


def _pod_and_ns_selector(s):
    rule = {"from": [{"namespaceSelector": {"matchExpressions": [expr(METADATA_NAME, "NotIn", X)]},
                      "podSelector": labels_selector(pod="b")}]}
    s.create_policy(pod_match_policy("allow-ns-y-podselector-and-nsselector", {"pod": "a"},
                                     ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("y/b", "x/a", True)
    r.expect("z/b", "x/a", True)
    s.validate(80, "TCP", r)


def _multiple_pod_and_ns_selectors(s):
    rule = {"from": [{"namespaceSelector": {"matchExpressions": [expr(METADATA_NAME, "NotIn", X)]},
                      "podSelector": {"matchExpressions": [expr("pod", "In", "b", "c")]}}]}
    s.create_policy(pod_match_policy("allow-ns-y-z-pod-b-c", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_peer("x/*", "x/a", False)
    r.expect("y/a", "x/a", False)
    r.expect("z/a", "x/a", False)
    s.validate(80, "TCP", r)


def _any_pod_selectors(s):
    rule = {"from": [{"podSelector": labels_selector(pod="b")}, {"podSelector": labels_selector(pod="c")}]}
    s.create_policy(pod_match_policy("allow-ns-x-pod-b-c", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("x/b", "x/a", True)
    r.expect("x/c", "x/a", True)
    s.validate(80, "TCP", r)


def _pod_in_other_ns(s, proto="TCP"):
    rule = {"from": [{"namespaceSelector": ns_sel(Y), "podSelector": labels_selector(pod="a")}]}
    s.create_policy(pod_match_policy("allow-ns-y-pod-a-via-namespace-pod-selector", {"pod": "a"},
                                     ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("y/a", "x/a", True)
    s.validate(80, proto, r)


def _port81_from_y_reachability(with_y_true):
    r = Reachability()
    r.expect_peer("x/*", "x/a", False)
    if with_y_true:
        r.expect_peer("y/*", "x/a", True)
    r.expect_peer("z/*", "x/a", False)
    return r


def _ports(s, proto="TCP", name="allow-client-a-via-ns-selector"):
    rule = {"from": [{"namespaceSelector": ns_sel(Y)}], "ports": [{"port": 81, "protocol": proto}]}
    s.create_policy(pod_match_policy(name, {"pod": "a"}, ingress=[rule]), X)
    s.validate(81, proto, _port81_from_y_reachability(proto == "TCP"))


def _stacked_policies(s):
    rule = {"from": [{"namespaceSelector": ns_sel(Y)}], "ports": [tcp(81)]}
    s.create_policy(pod_match_policy("allow-client-a-via-ns-selector", {"pod": "a"}, ingress=[rule]), X)
    allow = _port81_from_y_reachability(True)
    s.validate(81, "TCP", allow, what="port 81")
    deny = Reachability()
    deny.expect_all_ingress("x/a", False)
    s.validate(80, "TCP", deny, what="port 80")
    rule = {"from": [{"namespaceSelector": ns_sel(Y)}], "ports": [tcp(80)]}
    s.create_policy(pod_match_policy("allow-client-a-via-ns-selector-80", {"pod": "a"}, ingress=[rule]), X)
    s.validate(80, "TCP", allow, what="a policy added to unblock port 80")


def _allow_all(s):
    s.create_policy(pod_match_policy("allow-all", {}, ingress=[{}]), X)
    s.validate(80, "TCP", Reachability())
    s.validate(81, "TCP", Reachability())


def _ingress_one_named_port(s):
    rule = {"ports": [{"port": "serve-81-tcp"}]}
    s.create_policy(pod_match_policy("allow-all", {}, ingress=[rule]), X)
    s.validate(81, "TCP", Reachability())
    r80 = Reachability()
    r80.expect_peer("*", "x/*", False)
    s.validate(80, "TCP", r80)


def _ingress_ns_one_named_port(s):
    rule = {"from": [{"namespaceSelector": ns_sel(Y)}], "ports": [{"port": "serve-80-tcp", "protocol": "TCP"}]}
    s.create_policy(pod_match_policy("allow-client-a-via-ns-selector-80", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    _only_from_ns_y(r)
    s.validate(80, "TCP", r, what="port 80 allowed for namespace y")
    fail = Reachability()
    fail.expect_all_ingress("x/a", False)
    s.validate(81, "TCP", fail, what="port 81 blocked for all namespaces including y")


def _egress_one_named_port(s):
    rule = {"ports": [{"port": "serve-80-tcp"}]}
    s.create_policy(pod_match_policy("allow-egress", {}, egress=[rule]), X)
    s.validate(80, "TCP", Reachability())
    r81 = Reachability()
    r81.expect_peer("x/*", "*", False)
    s.validate(81, "TCP", r81)


def _updated_policy(s):
    p = s.create_policy(pod_match_policy("allow-all-mutate-to-deny-all", {}, ingress=[{}]), X)
    s.validate(81, "TCP", Reachability())
    p["spec"]["ingress"] = []
    s.update_policy(p, X)
    deny = Reachability()
    deny.expect_peer("*", "x/*", False)
    s.validate(81, "TCP", deny)


def _updated_namespace(s):
    rule = {"from": [{"namespaceSelector": labels_selector(ns2="updated")}]}
    s.create_policy(pod_match_policy("allow-client-a-via-ns-selector", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    s.validate(80, "TCP", r)
    s.add_namespace_label(Y, "ns2", "updated")
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect_peer("y/*", "*", True)
    s.validate(80, "TCP", r)


def _updated_pod(s):
    match = {"pod": "b", "pod2": "updated"}
    rule = {"from": [{"podSelector": {"matchLabels": match}}]}
    s.create_policy(pod_match_policy("allow-client-a-via-pod-selector", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    s.validate(80, "TCP", r)
    s.add_pod_labels("x/b", match)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("x/b", "x/a", True)
    s.validate(80, "TCP", r, what="x/b reaches x/a once relabelled")


def _deny_from_other_namespaces(s):
    rule = {"from": [{"podSelector": {"matchLabels": {}}}]}
    s.create_policy(policy("deny-empty-policy", {}, ingress=[rule]), X)
    r = Reachability()
    r.expect_peer("y/*", "x/*", False)
    r.expect_peer("z/*", "x/*", False)
    s.validate(80, "TCP", r)


def _deny_updated_pod(s):
    s.create_policy(policy("deny-ingress-via-label-selector", labels_selector(target="isolated"),
                           ingress=[]), X)
    s.validate(80, "TCP", Reachability(), what="everything reaches x/a")
    s.add_pod_labels("x/a", {"target": "isolated"})
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    s.validate(80, "TCP", r)


def _deny_egress_pod_selector(s):
    s.create_policy(policy("deny-egress-pod-a", labels_selector(pod="a"), egress=[]), X)
    r = Reachability()
    r.expect_all_egress("x/a", False)
    s.validate(80, "TCP", r)


def _deny_egress_namespace(s):
    s.create_policy(policy("deny-egress-ns-x", {}, egress=[]), X)
    r = Reachability()
    r.expect_peer("x/*", "*", False)
    s.validate(80, "TCP", r)


def _ingress_egress_together(s):
    rule = {"from": [{"podSelector": labels_selector(pod="b")}]}
    p = pod_match_policy("allow-client-a-via-pod-selector", {"pod": "a"}, ingress=[rule])
    p["spec"]["egress"] = [{"ports": [{"port": 80}]}]
    p["spec"]["policyTypes"] = ["Egress", "Ingress"]
    s.create_policy(p, X)
    r80 = Reachability()
    r80.expect_all_ingress("x/a", False)
    r80.expect("x/b", "x/a", True)
    s.validate(80, "TCP", r80)
    r81 = Reachability()
    r81.expect_all_ingress("x/a", False)
    r81.expect_all_egress("x/a", False)
    r81.expect("x/b", "x/a", True)
    s.validate(81, "TCP", r81, what="port 81 does not work")


def _egress_denied_client_side(s):
    egress = {"to": [{"namespaceSelector": ns_sel(Y), "podSelector": labels_selector(pod="a")}]}
    s.create_policy(pod_match_policy("allow-to-ns-y-pod-a", {"pod": "a"}, egress=[egress]), X)
    ingress = {"from": [{"namespaceSelector": ns_sel(X), "podSelector": labels_selector(pod="a")}]}
    s.create_policy(pod_match_policy("allow-from-xa-on-ya-match-selector", {"pod": "a"}, ingress=[ingress]), Y)
    s.create_policy(pod_match_policy("allow-from-xa-on-yb-match-selector", {"pod": "b"}, ingress=[ingress]), Y)
    r = Reachability()
    r.expect_peer("x/a", "*", False)
    r.expect_peer("*", "y/a", False)
    r.expect_peer("x/a", "y/a", True)
    r.expect_peer("*", "y/b", False)
    s.validate(80, "TCP", r)


def _egress_pod_and_ns_selector(s):
    egress = {"to": [{"namespaceSelector": ns_sel(Y), "podSelector": labels_selector(pod="a")}]}
    s.create_policy(pod_match_policy("allow-to-ns-y-pod-a", {"pod": "a"}, egress=[egress]), X)
    r = Reachability()
    r.expect_all_egress("x/a", False)
    r.expect("x/a", "y/a", True)
    s.validate(80, "TCP", r)


def _any_port_on_protocol(s):
    rule = {"ports": [{"protocol": "TCP"}]}
    s.create_policy(pod_match_policy("allow-ingress-by-proto", {"pod": "a"}, ingress=[rule]), X)
    s.validate(80, "TCP", Reachability())
    udp = Reachability()
    udp.expect_peer("*", "x/a", False)
    s.validate(80, "UDP", udp)


def _ingress_allow_all_precedence(s):
    rule = {"ports": [{"port": 80}]}
    s.create_policy(pod_match_policy("allow-ingress-port-80", {}, ingress=[rule]), X)
    r = Reachability()
    r.expect_peer("*", "x/*", False)
    s.validate(81, "TCP", r, what="port 81 blocked by a policy for port 80")
    s.create_policy(pod_match_policy("allow-ingress", {}, ingress=[{}]), X)
    s.validate(81, "TCP", Reachability(), what="all ports allowed")


def _egress_allow_all_precedence(s):
    rule = {"ports": [{"port": 80}]}
    s.create_policy(pod_match_policy("allow-egress-port-80", {}, egress=[rule]), X)
    r = Reachability()
    r.expect_peer("x/*", "*", False)
    s.validate(81, "TCP", r, what="only port 80 leaves x")
    s.create_policy(pod_match_policy("allow-egress", {}, egress=[{}]), X)
    s.validate(81, "TCP", Reachability(), what="all ports allowed")


def _stop_after_delete(s):
    s.create_policy(policy("deny-all", {}, ingress=[], egress=[]), X)
    r = Reachability()
    r.expect_peer("x/*", "*", False)
    r.expect_peer("*", "x/*", False)
    s.validate(80, "TCP", r)
    s.delete_policy(X, "deny-all")  # upstream: cleanNetworkPolicies (every policy of x, y, z)
    s.validate(80, "TCP", Reachability(), what="policies deleted")


def _egress_cidr(s):
    rule = {"to": [{"ipBlock": {"cidr": s.cluster.host_cidr("y/b")}}]}
    s.create_policy(pod_match_policy("allow-client-a-via-cidr-egress-rule", {"pod": "a"}, egress=[rule]), X)
    r = Reachability()
    r.expect_all_egress("x/a", False)
    r.expect("x/a", "y/b", True)
    s.validate(80, "TCP", r)


def _cidr_except_policy(s):
    # upstream: "<x/a's IP>/4", host bits and all, as the API server of 1.27-1.29 took it
    rule = {"to": [{"ipBlock": {"cidr": f"{s.cluster.ip('x/a')}/4", "except": [s.cluster.host_cidr("x/b")]}}]}
    return pod_match_policy("allow-client-a-via-cidr-egress-rule", {"pod": "a"}, egress=[rule])


def _egress_cidr_except(s):
    s.create_policy(_cidr_except_policy(s), X)
    r = Reachability()
    r.expect("x/a", "x/b", False)
    s.validate(80, "TCP", r)


def _cidr_and_except_overlap(s):
    s.create_policy(_cidr_except_policy(s), X)
    r = Reachability()
    r.expect("x/a", "x/b", False)
    s.validate(80, "TCP", r)
    rule = {"to": [{"ipBlock": {"cidr": s.cluster.host_cidr("x/b")}}]}
    s.update_policy(pod_match_policy("allow-client-a-via-cidr-egress-rule", {"pod": "a"}, egress=[rule]), X)
    r = Reachability()
    r.expect_all_egress("x/a", False)
    r.expect("x/a", "x/b", True)
    s.validate(80, "TCP", r, what="policy replaced by one allowing x/b's IP")


def _ingress_egress_independent(s):
    s.create_policy(policy("allow-egress-for-target", labels_selector(pod="a"), egress=[{}]), X)
    s.validate(80, "TCP", Reachability())
    s.create_policy(policy("deny-ingress-via-label-selector", labels_selector(pod="a"), ingress=[]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    s.validate(80, "TCP", r)


def _sctp_not_tcp(s):
    s.create_policy(policy("deny-ingress", {}, ingress=[]), X)
    rule = {"ports": [{"port": 81, "protocol": "SCTP"}]}
    s.create_policy(pod_match_policy("allow-only-sctp-ingress-on-port-81", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_peer("*", "x/*", False)
    s.validate(81, "TCP", r)


def _sctp_isolates(s):
    rule = {"ports": [{"port": 80, "protocol": "SCTP"}]}
    s.create_policy(pod_match_policy("allow-only-sctp-ingress-on-port-80", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    s.validate(81, "TCP", r)


def _udp_not_tcp(s):
    rule = {"ports": [{"port": 81, "protocol": "UDP"}]}
    s.create_policy(pod_match_policy("allow-only-udp-ingress-on-port-81", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    s.validate(81, "TCP", r)


def _default_ns_label_match_labels(s):
    rule = {"from": [{"namespaceSelector": ns_sel(Y)}]}
    s.create_policy(pod_match_policy("allow-client-a-via-ns-selector-for-immutable-ns-label", {"pod": "a"},
                                     ingress=[rule]), X)
    r = Reachability()
    _only_from_ns_y(r)
    s.validate(80, "TCP", r)


def _default_ns_label_match_expressions(s):
    rule = {"to": [{"namespaceSelector": {"matchExpressions": [expr(METADATA_NAME, "NotIn", Y)]}}]}
    s.create_policy(pod_match_policy("allow-ns-y-match-selector-for-immutable-ns-label", {"pod": "a"},
                                     egress=[rule]), X)
    r = Reachability()
    r.expect_peer("x/a", "y/*", False)
    s.validate(80, "TCP", r)


TCP_CONTEXT = "NetworkPolicy between server and client"
UPSTREAM_TCP = [
    ("should support a 'default-deny-ingress' policy", _default_deny_ingress),
    ("should support a 'default-deny-all' policy", _default_deny_all),
    ("should enforce policy to allow traffic from pods within server namespace based on PodSelector",
     _allow_from_pod_selector),
    ("should enforce policy to allow ingress traffic for a target", _allow_ingress_for_target),
    ("should enforce policy to allow ingress traffic from pods in all namespaces", _allow_from_all_namespaces),
    ("should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector",
     _allow_from_ns_selector),
    ("should enforce policy based on PodSelector with MatchExpressions", _pod_selector_match_expressions),
    ("should enforce policy based on NamespaceSelector with MatchExpressions", _ns_selector_match_expressions),
    ("should enforce policy based on PodSelector or NamespaceSelector", _pod_or_ns_selector),
    ("should enforce policy based on PodSelector and NamespaceSelector", _pod_and_ns_selector),
    ("should enforce policy based on Multiple PodSelectors and NamespaceSelectors", _multiple_pod_and_ns_selectors),
    ("should enforce policy based on any PodSelectors", _any_pod_selectors),
    ("should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector "
     "and NamespaceSelector", _pod_in_other_ns),
    ("should enforce policy based on Ports", _ports),
    ("should enforce multiple, stacked policies with overlapping podSelectors", _stacked_policies),
    ("should support allow-all policy", _allow_all),
    ("should allow ingress access on one named port", _ingress_one_named_port),
    ("should allow ingress access from namespace on one named port", _ingress_ns_one_named_port),
    ("should allow egress access on one named port", _egress_one_named_port),
    ("should enforce updated policy", _updated_policy),
    ("should allow ingress access from updated namespace", _updated_namespace),
    ("should allow ingress access from updated pod", _updated_pod),
    ("should deny ingress from pods on other namespaces", _deny_from_other_namespaces),
    ("should deny ingress access to updated pod", _deny_updated_pod),
    ("should deny egress from pods based on PodSelector", _deny_egress_pod_selector),
    ("should deny egress from all pods in a namespace", _deny_egress_namespace),
    ("should work with Ingress, Egress specified together", _ingress_egress_together),
    ("should support denying of egress traffic on the client side (even if the server explicitly allows "
     "this traffic)", _egress_denied_client_side),
    ("should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector "
     "and NamespaceSelector", _egress_pod_and_ns_selector),
    ("should enforce ingress policy allowing any port traffic to a server on a specific protocol",
     _any_port_on_protocol),
    ("should enforce multiple ingress policies with ingress allow-all policy taking precedence",
     _ingress_allow_all_precedence),
    ("should enforce multiple egress policies with egress allow-all policy taking precedence",
     _egress_allow_all_precedence),
    ("should stop enforcing policies after they are deleted", _stop_after_delete),
    ("should allow egress access to server in CIDR block", _egress_cidr),
    ("should enforce except clause while egress access to server in CIDR block", _egress_cidr_except),
    ("should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed", _cidr_and_except_overlap),
    ("should enforce policies to check ingress and egress policies can be controlled independently based on "
     "PodSelector", _ingress_egress_independent),
    ("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
     _sctp_not_tcp),
    ("should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't "
     "support SCTP", _sctp_isolates),
    ("should not allow access by TCP when a policy specifies only UDP", _udp_not_tcp),
    ("should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label",
     _default_ns_label_match_labels),
    ("should enforce policy based on NamespaceSelector with MatchExpressions using default ns label",
     _default_ns_label_match_expressions),
]

UDP_CONTEXT = "NetworkPolicy between server and client using UDP"
SCTP_CONTEXT = "NetworkPolicy between server and client using SCTP"


def _per_protocol(proto):
    return [
        ("should support a 'default-deny-ingress' policy",
         lambda s: _default_deny_ingress(s, proto, name="deny-all")),
        ("should enforce policy based on Ports",
         lambda s: _ports(s, proto, name="allow-ingress-on-port-81-ns-x")),
        ("should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector "
         "and NamespaceSelector", lambda s: _pod_in_other_ns(s, proto)),
    ]


# ---- extra cases: what upstream does not test ----

def _x_ingress_from_y(s, ports, name="ports-from-y"):
    rule = {"from": [{"namespaceSelector": ns_sel(Y)}], "ports": ports}
    s.create_policy(policy(name, {}, ingress=[rule]), X)


def _only_y_into_x():
    r = Reachability()
    r.expect_peer("*", "x/*", False)
    r.expect_peer("y/*", "x/*", True)
    return r


def _denied_into_x():
    r = Reachability()
    r.expect_peer("*", "x/*", False)
    return r


def _endport_range(proto):
    def build(s):
        _x_ingress_from_y(s, [{"port": 79, "endPort": 80, "protocol": proto}])
        s.validate(80, proto, _only_y_into_x(), what="80 inside 79-80")
        s.validate(81, proto, _denied_into_x(), what="81 outside 79-80")
        _x_ingress_from_y(s, [{"port": 81, "endPort": 9000, "protocol": proto}])
        s.validate(80, proto, _denied_into_x(), what="80 outside 81-9000")
        s.validate(81, proto, _only_y_into_x(), what="81 inside 81-9000")
        _x_ingress_from_y(s, [{"port": 80, "endPort": 81, "protocol": proto}])
        s.validate(80, proto, _only_y_into_x(), what="80 inside 80-81")
        s.validate(81, proto, _only_y_into_x(), what="81 inside 80-81")
        other = "UDP" if proto == "TCP" else "TCP"
        s.validate(80, other, _denied_into_x(), what=f"{other} is not {proto}")
    return build


def _endport_egress(s):
    rule = {"to": [{"podSelector": {}, "namespaceSelector": {}}], "ports": [{"port": 81, "endPort": 81}]}
    s.create_policy(policy("egress-81-81", labels_selector(pod="b"), egress=[rule]), Z)
    r = Reachability()
    r.expect_all_egress("z/b", False)
    s.validate(80, "TCP", r)
    s.validate(81, "TCP", Reachability(), what="endPort equal to port")


def _ingress_ipblock_except(s):
    c = s.cluster
    rule = {"from": [{"ipBlock": {"cidr": f"{c.ip('y/a')}/4", "except": [c.host_cidr("y/b"), c.host_cidr("z/c")]}}]}
    s.create_policy(pod_match_policy("from-cidr-except", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect("y/b", "x/a", False)
    r.expect("z/c", "x/a", False)
    s.validate(80, "TCP", r)
    # a second peer naming y/b's address alone lets it back in (peers add up)
    rule["from"].append({"ipBlock": {"cidr": c.host_cidr("y/b")}})
    s.update_policy(pod_match_policy("from-cidr-except", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect("z/c", "x/a", False)
    s.validate(80, "TCP", r, what="y/b allowed by a second ipBlock")
    # only x/b's host address, UDP only
    rule = {"from": [{"ipBlock": {"cidr": c.host_cidr("x/b")}}], "ports": [{"protocol": "UDP"}]}
    s.update_policy(pod_match_policy("from-cidr-except", {"pod": "a"}, ingress=[rule]), X)
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect("x/b", "x/a", True)
    s.validate(81, "UDP", r, what="UDP from x/b's address only")
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    s.validate(81, "TCP", r, what="no TCP at all")


def _named_port_ingress(s):
    s.create_policy(policy("allow-serve-80-tcp", {}, ingress=[{"ports": [{"port": "serve-80-tcp"}]}]), X)
    r80 = Reachability()
    r80.expect_all_ingress("x/c", False)  # on x/c serve-80-tcp is 81
    s.validate(80, "TCP", r80)
    r81 = Reachability()
    r81.expect_all_ingress("x/a", False)
    r81.expect_all_ingress("x/b", False)
    s.validate(81, "TCP", r81)
    r = Reachability()
    r.expect_peer("*", "x/*", False)
    s.validate(80, "UDP", r, what="a TCP name does not open UDP")


def _named_port_egress(s):
    rule = {"ports": [{"port": "serve-81-udp", "protocol": "UDP"}]}
    s.create_policy(policy("egress-serve-81-udp", {}, egress=[rule]), Y)
    r81 = Reachability()
    r81.expect_peer("y/*", "*/c", False)  # on pods c serve-81-udp is 80
    s.validate(81, "UDP", r81)
    r80 = Reachability()
    r80.expect_peer("y/*", "*", False)
    r80.expect_peer("y/*", "*/c", True)
    s.validate(80, "UDP", r80)
    r = Reachability()
    r.expect_peer("y/*", "*", False)
    s.validate(81, "TCP", r, what="a UDP name does not open TCP")


def _named_port_wrong_protocol(s):
    rule = {"ports": [{"port": "serve-80-tcp", "protocol": "UDP"}]}
    s.create_policy(policy("name-with-other-protocol", labels_selector(pod="b"), ingress=[rule]), Z)
    r = Reachability()
    r.expect_all_ingress("z/b", False)
    s.validate(80, "TCP", r)
    s.validate(80, "UDP", r)


def _dual_stack_egress(s):
    c = s.cluster
    rule = {"to": [{"ipBlock": {"cidr": c.host_cidr("y/b", 6)}}]}
    s.create_policy(pod_match_policy("egress-to-yb-v6", {"pod": "a"}, egress=[rule]), X)
    r6 = Reachability()
    r6.expect_all_egress("x/a", False)
    r6.expect("x/a", "y/b", True)
    s.validate(80, "TCP", r6, family=6, what="IPv6: only y/b's v6 address")
    r4 = Reachability()
    r4.expect_all_egress("x/a", False)
    s.validate(80, "TCP", r4, family=4, what="IPv4: no v4 block")


def _dual_stack_ingress(s):
    rule = {"from": [{"ipBlock": {"cidr": "::/0"}}]}
    s.create_policy(pod_match_policy("ingress-any-v6", {"pod": "b"}, ingress=[rule]), X)
    s.validate(81, "TCP", Reachability(), family=6, what="IPv6: every source")
    r4 = Reachability()
    r4.expect_all_ingress("x/b", False)
    s.validate(81, "TCP", r4, family=4, what="IPv4: none")
    rule = {"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [s.cluster.host_cidr("z/a", 4)]}}]}
    s.update_policy(pod_match_policy("ingress-any-v6", {"pod": "b"}, ingress=[rule]), X)
    r4 = Reachability()
    r4.expect("z/a", "x/b", False)
    s.validate(81, "TCP", r4, family=4, what="IPv4: all but z/a")
    r6 = Reachability()
    r6.expect_all_ingress("x/b", False)
    s.validate(81, "TCP", r6, family=6, what="IPv6: none")


def _dual_stack_selectors(s):
    # selectors pick pods with all their addresses: the same matrix over both families
    rule = {"from": [{"namespaceSelector": ns_sel(Z), "podSelector": labels_selector(pod="c")}]}
    s.create_policy(pod_match_policy("from-zc", {"pod": "c"}, ingress=[rule]), Y)
    r = Reachability()
    r.expect_all_ingress("y/c", False)
    r.expect("z/c", "y/c", True)
    s.validate(80, "TCP", r, family=4)
    s.validate(80, "TCP", r, family=6)


def _selects_no_pods(s):
    s.create_policy(policy("deny-ghosts", labels_selector(pod="ghost"), ingress=[], egress=[]), X)
    s.create_policy(policy("deny-ghosts-expr", {"matchExpressions": [expr("pod", "In", "d", "e")]},
                           ingress=[]), Y)
    s.validate(80, "TCP", Reachability(), what="no pod selected: nothing isolated")
    s.set_pod_labels("x/c", {"pod": "ghost"})
    r = Reachability()
    r.expect_all_ingress("x/c", False)
    r.expect_all_egress("x/c", False)
    s.validate(80, "TCP", r, what="x/c relabelled into the selector")
    s.reset_pod_labels("x/c")
    s.validate(80, "TCP", Reachability(), what="and out again")


def _namespace_relabelled_both_ways(s):
    rule = {"from": [{"namespaceSelector": labels_selector(team="blue")}]}
    s.create_policy(pod_match_policy("from-team-blue", {"pod": "a"}, ingress=[rule]), X)
    deny = Reachability()
    deny.expect_all_ingress("x/a", False)
    s.validate(80, "TCP", deny)
    s.add_namespace_label(Z, "team", "blue")
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect_peer("z/*", "x/a", True)
    s.validate(80, "TCP", r, what="z labelled team=blue")
    s.add_namespace_label(Z, "team", "red")
    s.validate(80, "TCP", deny, what="z relabelled team=red")
    s.add_namespace_label(X, "team", "blue")
    r = Reachability()
    r.expect_all_ingress("x/a", False)
    r.expect_peer("x/*", "x/a", True)
    s.validate(80, "TCP", r, what="x itself labelled team=blue")
    s.delete_namespace_label(X, "team")
    s.validate(80, "TCP", deny, what="label removed from x")


def _namespace_selector_not_in(s):
    # DoesNotExist/NotIn flip when a namespace gains or loses the label
    rule = {"to": [{"namespaceSelector": {"matchExpressions": [expr("frozen", "DoesNotExist")]}}]}
    s.create_policy(policy("egress-unfrozen", labels_selector(pod="b"), egress=[rule]), Y)
    s.validate(80, "UDP", Reachability())
    s.add_namespace_label(X, "frozen", "yes")
    r = Reachability()
    r.expect_peer("y/b", "x/*", False)
    s.validate(80, "UDP", r, what="x frozen")
    s.delete_namespace_label(X, "frozen")
    s.validate(80, "UDP", Reachability(), what="x thawed")


def _pod_relabelled_both_ways(s):
    # as a target (podSelector of the policy) and as a peer, label added then removed
    s.create_policy(policy("isolate", labels_selector(role="db"), ingress=[
        {"from": [{"podSelector": labels_selector(role="client")}]}]), X)
    s.validate(80, "TCP", Reachability())
    s.add_pod_labels("x/b", {"role": "db"})
    r = Reachability()
    r.expect_all_ingress("x/b", False)
    s.validate(80, "TCP", r, what="x/b becomes a target")
    s.add_pod_labels("x/c", {"role": "client"})
    r.expect("x/c", "x/b", True)
    s.validate(80, "TCP", r, what="x/c becomes a client")
    s.reset_pod_labels("x/c")
    r.expect("x/c", "x/b", False)
    s.validate(80, "TCP", r, what="x/c no longer a client")
    s.reset_pod_labels("x/b")
    s.validate(80, "TCP", Reachability(), what="x/b no longer a target")


def _policy_deleted_other_remains(s):
    s.create_policy(policy("deny-ingress", {}, ingress=[]), Y)
    s.create_policy(pod_match_policy("allow-a", {"pod": "a"}, ingress=[{}]), Y)
    r = Reachability()
    r.expect_peer("*", "y/*", False)
    r.expect_all_ingress("y/a", True)
    s.validate(81, "TCP", r)
    s.delete_policy(Y, "allow-a")
    r = Reachability()
    r.expect_peer("*", "y/*", False)
    s.validate(81, "TCP", r, what="allow-a deleted")


def _sctp_named_port(s):
    s.create_policy(policy("sctp-81", {}, ingress=[{"ports": [{"port": "serve-81-sctp", "protocol": "SCTP"}]}]), Z)
    s.validate(81, "SCTP", Reachability())
    r = Reachability()
    r.expect_peer("*", "z/*", False)
    s.validate(80, "SCTP", r)
    s.validate(81, "TCP", r)


EXTRA = [
    ("extra: endPort range (TCP)", _endport_range("TCP"), None, ()),
    ("extra: endPort range (UDP)", _endport_range("UDP"), None, ()),
    ("extra: egress endPort equal to port", _endport_egress, None, ()),
    ("extra: ingress ipBlock with except", _ingress_ipblock_except, None, ()),
    ("extra: named port resolving to different numbers on different pods (ingress)", _named_port_ingress,
     SWAPPED_NAMES, ()),
    ("extra: named port resolving to different numbers on different pods (egress, UDP)", _named_port_egress,
     SWAPPED_NAMES, ()),
    ("extra: named port with a protocol the name does not have", _named_port_wrong_protocol, None, ()),
    ("extra: dual stack: egress ipBlock of one IPv6 address", _dual_stack_egress, None, ("dual-stack",)),
    ("extra: dual stack: ingress ipBlock per family", _dual_stack_ingress, None, ("dual-stack",)),
    ("extra: dual stack: selectors cover every address of a pod", _dual_stack_selectors, None, ("dual-stack",)),
    ("extra: a policy selecting no pods", _selects_no_pods, None, ()),
    ("extra: namespace relabelled both ways", _namespace_relabelled_both_ways, None, ()),
    ("extra: namespace relabelled both ways under DoesNotExist", _namespace_selector_not_in, None, ()),
    ("extra: pod relabelled both ways, as target and as peer", _pod_relabelled_both_ways, None, ()),
    ("extra: deleting one policy leaves the other", _policy_deleted_other_remains, None, ()),
    ("extra: SCTP named port", _sctp_named_port, None, ()),
]


def _cases():
    out = [Case(n, "TCP", b, context=TCP_CONTEXT) for n, b in UPSTREAM_TCP]
    out += [Case(n, "UDP", b, context=UDP_CONTEXT) for n, b in _per_protocol("UDP")]
    out += [Case(n, "SCTP", b, context=SCTP_CONTEXT) for n, b in _per_protocol("SCTP")]
    out += [Case(n, "extra", b, extra=True, variant=v, requires=req) for n, b, v, req in EXTRA]
    return out


CASES = _cases()
UPSTREAM_CASES = [c for c in CASES if not c.extra]
EXTRA_CASES = [c for c in CASES if c.extra]
