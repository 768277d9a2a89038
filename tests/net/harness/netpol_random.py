"""Seeded random NetworkPolicy sets over the x/y/z cluster, for comparing the kernel with the model.

    for sample in generate(seed=1, count=300, ips=testbed_ips):
        apply sample.objects (Namespaces, Pods, NetworkPolicies: one manifest)
        for probe in sample.probes:
            expected = sample.expected(probe)       # netpol_model's matrix
            compare with the kernel's matrix (loopback pairs ignored)

Every object is valid as the API server would accept it (selector operators with or without
values as required, endPort only after a numbered port, an ipBlock alone in its peer with
excepts strictly inside its cidr). Policies are drawn from small label vocabularies so they
select and match something; a sample is kept only when at least one of its probes gives a
mixed matrix (some pairs allowed, some denied), so samples are never trivially all-open or
all-closed. Same seed, same samples.
"""
import ipaddress
import random
from dataclasses import dataclass, field

from . import netpol_cases as nc
from .netpol_model import Model

NS_LABELS = {"team": ("blue", "red"), "env": ("prod", "dev")}
POD_LABELS = {"role": ("web", "db", "cli"), "tier": ("front", "back")}


@dataclass
class RandomProbe:
    port: int
    protocol: str
    family: int


@dataclass
class Sample:
    index: int
    cluster: nc.Cluster
    objects: list
    probes: list
    relabelled: list = field(default_factory=list)  # pods whose labels differ from upstream's

    def expected(self, probe):
        """The model's matrix {(src, dst): bool} for one probe."""
        return Model(self.objects).matrix(nc.PODS, probe.protocol, probe.port, probe.family)

    def policies(self):
        return [o for o in self.objects if o["kind"] == "NetworkPolicy"]


class _Gen:
    def __init__(self, rng, cluster, families):
        self.r, self.cluster, self.families = rng, cluster, families
        self.ns_labels = {}
        self.pod_labels = {}

    # -- labels --
    def label_cluster(self):
        for ns in nc.NAMESPACES:
            labels = dict(self.cluster.ns_labels[ns])
            for key, values in NS_LABELS.items():
                if self.r.random() < 0.6:
                    labels[key] = self.r.choice(values)
            self.ns_labels[ns] = labels
        relabelled = []
        for pod in nc.PODS:
            labels = dict(self.cluster.pod_labels[pod])
            if self.r.random() < 0.25:  # a relabelled pod: something changes for sure
                if self.r.random() < 0.3:
                    labels["pod"] = self.r.choice([n for n in nc.POD_NAMES if n != labels["pod"]])
                else:
                    labels["moved"] = "yes"
                relabelled.append(pod)
            for key, values in POD_LABELS.items():
                if self.r.random() < 0.5:
                    labels[key] = self.r.choice(values)
            self.pod_labels[pod] = labels
        return relabelled

    # -- selectors --
    def _requirement(self, vocab):
        key = self.r.choice(list(vocab))
        op = self.r.choice(("In", "NotIn", "Exists", "DoesNotExist"))
        req = {"key": key, "operator": op}
        if op in ("In", "NotIn"):
            req["values"] = sorted(self.r.sample(vocab[key], self.r.randint(1, min(2, len(vocab[key])))))
        return req

    def selector(self, vocab, empty_chance=0.25):
        if self.r.random() < empty_chance:
            return {}
        sel = {}
        if self.r.random() < 0.6:
            key = self.r.choice(list(vocab))
            sel["matchLabels"] = {key: self.r.choice(vocab[key])}
        if not sel or self.r.random() < 0.4:
            sel["matchExpressions"] = [self._requirement(vocab) for _ in range(self.r.randint(1, 2))]
        return sel

    def pod_selector(self, empty_chance=0.25):
        vocab = dict(POD_LABELS)
        vocab["pod"] = nc.POD_NAMES
        return self.selector(vocab, empty_chance)

    def ns_selector(self):
        vocab = dict(NS_LABELS)
        vocab[nc.METADATA_NAME] = nc.NAMESPACES
        vocab["ns"] = nc.NAMESPACES
        return self.selector(vocab, 0.2)

    # -- peers and ports --
    def ip_block(self):
        family = self.r.choice(self.families)
        ip = ipaddress.ip_address(self.cluster.ip(self.r.choice(nc.PODS), family))
        bits = ip.max_prefixlen
        if self.r.random() < 0.15:
            plen = 0
        else:
            plen = bits - self.r.choice((0, 1, 2, 3, 4, 8))
        net = ipaddress.ip_network(f"{ip}/{plen}", strict=False)
        block = {"cidr": str(net)}
        inside = [p for p in nc.PODS if ipaddress.ip_address(self.cluster.ip(p, family)) in net]
        if plen < bits and self.r.random() < 0.6:
            excepts = set()
            for pod in self.r.sample(inside, min(len(inside), self.r.randint(1, 2))):
                eip = self.cluster.ip(pod, family)
                elen = self.r.randint(max(plen + 1, bits - 2), bits)
                excepts.add(str(ipaddress.ip_network(f"{eip}/{elen}", strict=False)))
            block["except"] = sorted(excepts)
        return {"ipBlock": block}

    def peer(self):
        roll = self.r.random()
        if roll < 0.35:
            return {"podSelector": self.pod_selector(0.15)}
        if roll < 0.6:
            return {"namespaceSelector": self.ns_selector()}
        if roll < 0.8:
            return {"namespaceSelector": self.ns_selector(), "podSelector": self.pod_selector(0.2)}
        return self.ip_block()

    def port(self):
        roll = self.r.random()
        proto = self.r.choice(("TCP", "TCP", "UDP", "UDP", "SCTP")) if self.r.random() < 0.8 else None
        entry = {} if proto is None else {"protocol": proto}
        if roll < 0.35:
            entry["port"] = self.r.choice((80, 81, 8080))
        elif roll < 0.6:
            # a name, usually of the rule's protocol, sometimes of another (matches nothing)
            name_proto = proto or "TCP"
            if self.r.random() < 0.2:
                name_proto = self.r.choice(nc.PROTOCOLS)
            entry["port"] = nc.port_name(self.r.choice(nc.PORTS), name_proto)
        elif roll < 0.85:
            start = self.r.choice((79, 80, 81))
            entry["port"] = start
            entry["endPort"] = start + self.r.choice((0, 1, 2, 100))
        # else: the whole protocol
        return entry

    def rule(self, peers_key):
        rule = {}
        if self.r.random() < 0.8:
            rule[peers_key] = [self.peer() for _ in range(self.r.randint(1, 2))]
        if self.r.random() < 0.6:
            rule["ports"] = [self.port() for _ in range(self.r.randint(1, 2))]
        return rule

    def policy(self, ns, name):
        spec = {"podSelector": self.pod_selector()}
        kind = self.r.choice(("ingress", "egress", "both"))
        types = []
        if kind in ("ingress", "both"):
            spec["ingress"] = [self.rule("from") for _ in range(self.r.randint(0, 2))]
            types.append("Ingress")
        if kind in ("egress", "both"):
            spec["egress"] = [self.rule("to") for _ in range(self.r.randint(0, 2))]
            types.append("Egress")
        # sometimes leave policyTypes to the defaulting, where that keeps the meaning
        implied = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
        if implied == types and self.r.random() < 0.5:
            pass
        else:
            spec["policyTypes"] = types
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": name, "namespace": ns}, "spec": spec}

    def sample_objects(self):
        relabelled = self.label_cluster()
        objects = [self.cluster.namespace(ns, self.ns_labels[ns]) for ns in nc.NAMESPACES]
        objects += [self.cluster.pod(p, self.pod_labels[p]) for p in nc.PODS]
        count = 0
        for ns in nc.NAMESPACES:
            for _ in range(self.r.choice((0, 1, 1, 2, 3))):
                objects.append(self.policy(ns, f"rnd-{count}"))
                count += 1
        if count == 0:
            objects.append(self.policy(self.r.choice(nc.NAMESPACES), "rnd-0"))
        return objects, relabelled

    def probes(self):
        out = []
        for _ in range(2):
            out.append(RandomProbe(self.r.choice(nc.PORTS), self.r.choice(("TCP", "UDP")),
                                   self.r.choice(self.families)))
        return out


def _mixed(matrix):
    return len({v for (s, d), v in matrix.items() if s != d}) == 2


def generate(seed=0, count=300, ips=None, tries=50):
    """Yields `count` Samples, reproducibly from `seed`, over a cluster with `ips`
    ({"x/a": [addresses]}; default netpol_cases.default_ips())."""
    cluster = nc.Cluster(ips)
    families = [4, 6] if cluster.dual_stack else [cluster.family]
    for index in range(count):
        rng = random.Random(seed * 1_000_003 + index)
        for _ in range(tries):
            gen = _Gen(rng, cluster, families)
            objects, relabelled = gen.sample_objects()
            sample = Sample(index, cluster, objects, gen.probes(), relabelled)
            if any(_mixed(sample.expected(p)) for p in sample.probes):
                break
        yield sample
