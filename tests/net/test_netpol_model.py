"""The NetworkPolicy cases against the reference model, and the model against the API's rules.

Pure Python, no root, no kernel: every step of every case (netpol_cases) is replayed on
netpol_model and each probe's hand-written expected matrix must equal the model's. The two
were written separately (the cases as upstream writes them, the model from the API
documentation), so agreement checks both the transcription and the model.
"""
import copy
import ipaddress
import json
import re
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import netpol_cases as nc  # noqa: E402
from harness import netpol_random  # noqa: E402
from harness.netpol_model import Model, allowed, policy_types, selector_matches  # noqa: E402

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def replay(case, cluster):
    """Runs the case's steps on the model: [(probe, model matrix)]."""
    objects = {}

    def put(obj):
        meta = obj["metadata"]
        objects[(obj["kind"], meta.get("namespace", ""), meta["name"])] = obj

    for obj in cluster.objects():
        put(obj)
    out = []
    for step in case.steps(cluster):
        if isinstance(step, nc.Apply):
            for obj in step.objects:
                put(obj)
        elif isinstance(step, nc.Relabel):
            put(step.object)
        elif isinstance(step, nc.Delete):
            del objects[(step.kind, step.namespace, step.name)]
        elif isinstance(step, nc.Probe):
            model = Model(objects.values())
            out.append((step, model.matrix(nc.PODS, step.protocol, step.port, step.family)))
        else:
            raise TypeError(step)
    return out


def failures(case, cluster):
    """Human-readable differences between the case's expectations and the model."""
    out = []
    for i, (probe, matrix) in enumerate(replay(case, cluster)):
        bad = nc.mismatches(probe.expected, matrix)
        if bad:
            out.append(f"{case.name}: probe {i} ({probe.port}/{probe.protocol} IPv{probe.family} {probe.what}): "
                       f"{bad}\nexpected:\n{nc.format_matrix(probe.expected)}\nmodel:\n{nc.format_matrix(matrix)}")
    return out


def clusters_for(case):
    """The clusters a case is checked on: dual stack (IPv4 primary), IPv4 only, IPv6 only."""
    dual = nc.default_ips(dual_stack=True)
    v4 = {p: [ips[0]] for p, ips in dual.items()}
    v6 = {p: [ips[1]] for p, ips in dual.items()}
    sets = [dual] if "dual-stack" in case.requires else [dual, v4, v6]
    return [nc.Cluster(ips, variant=case.variant) for ips in sets]


class CasesAgreeWithModel(unittest.TestCase):
    def test_upstream_counts(self):
        groups = [c.group for c in nc.UPSTREAM_CASES]
        self.assertEqual((groups.count("TCP"), groups.count("UDP"), groups.count("SCTP")), (42, 3, 3))
        names = [(c.context, c.name) for c in nc.UPSTREAM_CASES]
        self.assertEqual(len(set(names)), 48, "an upstream case written twice")

    def test_every_case_every_probe(self):
        for case in nc.CASES:
            for cluster in clusters_for(case):
                with self.subTest(case=case.name, family=cluster.family, dual=cluster.dual_stack):
                    self.assertEqual(failures(case, cluster), [])

    def test_every_case_probes_every_pair(self):
        for case in nc.CASES:
            probes = [st for st in case.steps(clusters_for(case)[0]) if isinstance(st, nc.Probe)]
            with self.subTest(case=case.name):
                self.assertTrue(probes)
                for p in probes:
                    self.assertEqual(set(p.expected), {(s, d) for s in nc.PODS for d in nc.PODS})
                    self.assertIn(p.protocol, nc.PROTOCOLS)
                    self.assertIn(p.port, nc.PORTS)

    def test_manifests_are_plain_json_with_valid_names(self):
        cluster = nc.Cluster()
        for case in nc.CASES:
            for cl in clusters_for(case)[:1]:
                for step in case.steps(cl):
                    objs = step.objects if isinstance(step, nc.Apply) else \
                        [step.object] if isinstance(step, nc.Relabel) else []
                    for obj in objs:
                        json.dumps(obj)
                        self.assertRegex(obj["metadata"]["name"], DNS_SUBDOMAIN)
                        if obj["kind"] == "NetworkPolicy":
                            self.assertIn(obj["metadata"]["namespace"], nc.NAMESPACES)
        self.assertEqual(len(cluster.objects()), 12)

    def test_broken_expectation_is_detected(self):
        # The comparison must be able to fail: flip one non-loopback cell of one probe.
        case = next(c for c in nc.UPSTREAM_CASES if c.name == "should support a 'default-deny-ingress' policy")
        cluster = nc.Cluster()
        self.assertEqual(failures(case, cluster), [])

        def broken_build(s):
            case.build(s)
            probe = s.steps[-1]
            probe.expected[("y/a", "x/b")] = not probe.expected[("y/a", "x/b")]

        broken = nc.Case(case.name + " (broken)", "TCP", broken_build)
        bad = failures(broken, cluster)
        self.assertEqual(len(bad), 1)
        self.assertIn("('y/a', 'x/b', True, False)", bad[0])

        # a flipped loopback cell is ignored, as upstream ignores loopback
        def loopback_build(s):
            case.build(s)
            s.steps[-1].expected[("x/a", "x/a")] = True

        self.assertEqual(failures(nc.Case("loopback", "TCP", loopback_build), cluster), [])

    def test_broken_policy_is_detected(self):
        # ... and so must a case whose policy differs from what its matrix says.
        case = next(c for c in nc.UPSTREAM_CASES if c.name == "should enforce policy based on Ports")

        def wrong_port(s):
            case.build(s)
            s.steps[0].objects[0]["spec"]["ingress"][0]["ports"][0]["port"] = 80

        self.assertNotEqual(failures(nc.Case("wrong port", "TCP", wrong_port), nc.Cluster()), [])

    def test_reachability_builder(self):
        r = nc.Reachability()
        r.expect_peer("*", "x/*", False)
        r.expect_peer("y/*", "x/a", True)
        r.expect_all_egress("z/c", False)
        m = r.matrix()
        self.assertEqual(len(m), 81)
        self.assertFalse(m[("x/b", "x/c")])
        self.assertTrue(m[("y/c", "x/a")])
        self.assertFalse(m[("y/c", "x/b")])
        self.assertFalse(m[("z/c", "y/a")])
        self.assertTrue(m[("z/b", "y/a")])
        self.assertIn("x/a\tX", nc.format_matrix(m))

    def test_cluster(self):
        c = nc.Cluster(variant=nc.SWAPPED_NAMES)
        self.assertTrue(c.dual_stack)
        self.assertEqual(c.family, 4)
        names = {(n, p) for n, p, proto in c.port_names("y/c") if proto == "TCP"}
        self.assertEqual(names, {("serve-81-tcp", 80), ("serve-80-tcp", 81)})
        names = {(n, p) for n, p, proto in c.port_names("y/a") if proto == "SCTP"}
        self.assertEqual(names, {("serve-80-sctp", 80), ("serve-81-sctp", 81)})
        self.assertTrue(c.host_cidr("x/a", 6).endswith("/128"))
        with self.assertRaises(ValueError):
            nc.CASES[0].steps(c)  # an upstream case on the variant cluster is refused
        v4 = nc.Cluster({p: ips[:1] for p, ips in nc.default_ips().items()})
        dual_case = next(c for c in nc.EXTRA_CASES if "dual-stack" in c.requires)
        with self.assertRaises(ValueError):
            dual_case.steps(v4)


def ns(name, **labels):
    return {"kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(namespace, name, ips, labels=None, ports=()):
    return {"kind": "Pod", "metadata": {"namespace": namespace, "name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "ports": [
                dict(name=n, containerPort=p, **({"protocol": pr} if pr else {})) for n, p, pr in ports]}]},
            "status": {"podIPs": [{"ip": ip} for ip in ips]}}


def netpol(namespace, name, spec):
    return {"kind": "NetworkPolicy", "metadata": {"namespace": namespace, "name": name}, "spec": spec}


class ModelSemantics(unittest.TestCase):
    """The model against the API documentation's rules, one rule at a time."""

    def setUp(self):
        self.base = [ns("p", team="a"), ns("q"),
                     pod("p", "web", ["10.0.0.1", "fd00::1"], {"app": "web"},
                         [("http", 8080, "TCP"), ("dns", 53, "UDP"), ("alt", 9090, None)]),
                     pod("p", "cli", ["10.0.0.2", "fd00::2"], {"app": "cli", "tier": "x"}),
                     pod("q", "cli", ["10.0.1.2"], {"app": "cli"})]

    def verdict(self, policies, src, dst, proto="TCP", port=8080):
        return allowed(self.base + policies, src, dst, proto, port)

    def test_no_policy_allows(self):
        self.assertTrue(self.verdict([], "10.0.0.2", "10.0.0.1"))
        self.assertTrue(self.verdict([], "192.0.2.1", "10.0.0.1"))

    def test_policy_types_default(self):
        self.assertEqual(policy_types({}), (True, False))
        self.assertEqual(policy_types({"egress": []}), (True, False))
        self.assertEqual(policy_types({"egress": [{}]}), (True, True))
        self.assertEqual(policy_types({"policyTypes": ["Egress"], "ingress": [{}]}), (False, True))
        # no policyTypes, egress rules: isolates both ways
        pol = netpol("p", "e", {"podSelector": {}, "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]})
        self.assertFalse(self.verdict([pol], "10.0.0.2", "10.0.1.2"))
        self.assertFalse(self.verdict([pol], "10.0.1.2", "10.0.0.1"))
        self.assertTrue(self.verdict([pol], "10.0.0.2", "10.0.1.2", "UDP", 53))

    def test_selector_operators(self):
        labels = {"app": "web", "tier": "x"}
        self.assertTrue(selector_matches({}, labels))
        self.assertTrue(selector_matches({"matchExpressions": [{"key": "app", "operator": "In",
                                                                  "values": ["web", "db"]}]}, labels))
        self.assertFalse(selector_matches({"matchExpressions": [{"key": "app", "operator": "NotIn",
                                                                   "values": ["web"]}]}, labels))
        self.assertTrue(selector_matches({"matchExpressions": [{"key": "zone", "operator": "NotIn",
                                                                  "values": ["a"]}]}, labels))
        self.assertFalse(selector_matches({"matchExpressions": [{"key": "zone", "operator": "In",
                                                                   "values": ["a"]}]}, labels))
        self.assertTrue(selector_matches({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, labels))
        self.assertFalse(selector_matches({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels))
        self.assertTrue(selector_matches({"matchLabels": {"app": "web"},
                                          "matchExpressions": [{"key": "tier", "operator": "Exists"}]}, labels))
        self.assertFalse(selector_matches({"matchLabels": {"app": "web", "tier": "y"}}, labels))

    def test_peers(self):
        def ingress(peer):
            return [netpol("p", "i", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [peer]}]})]
        pods_only = ingress({"podSelector": {"matchLabels": {"app": "cli"}}})
        self.assertTrue(self.verdict(pods_only, "10.0.0.2", "10.0.0.1"))
        self.assertFalse(self.verdict(pods_only, "10.0.1.2", "10.0.0.1"), "podSelector alone: own namespace")
        self.assertFalse(self.verdict(pods_only, "192.0.2.1", "10.0.0.1"), "selectors never match outsiders")
        by_name = ingress({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "q"}}})
        self.assertTrue(self.verdict(by_name, "10.0.1.2", "10.0.0.1"), "automatic namespace label")
        self.assertFalse(self.verdict(by_name, "10.0.0.2", "10.0.0.1"))
        both = ingress({"namespaceSelector": {}, "podSelector": {"matchLabels": {"tier": "x"}}})
        self.assertTrue(self.verdict(both, "10.0.0.2", "10.0.0.1"))
        self.assertFalse(self.verdict(both, "10.0.1.2", "10.0.0.1"))
        block = ingress({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}})
        self.assertTrue(self.verdict(block, "10.0.0.2", "10.0.0.1"), "ipBlock matches pods too")
        self.assertFalse(self.verdict(block, "10.0.1.2", "10.0.0.1"), "except")
        self.assertFalse(self.verdict(block, "fd00::2", "fd00::1"), "other family")
        self.assertFalse(self.verdict(block, "192.0.2.1", "10.0.0.1"))
        everyone = [netpol("p", "i", {"podSelector": {}, "ingress": [{}]})]
        self.assertTrue(self.verdict(everyone, "192.0.2.1", "10.0.0.1"))

    def test_ports(self):
        def ingress(ports):
            return [netpol("p", "i", {"podSelector": {}, "ingress": [{"ports": ports}]})]
        self.assertTrue(self.verdict(ingress([{"port": 8000, "endPort": 8080}]), "10.0.1.2", "10.0.0.1"))
        self.assertFalse(self.verdict(ingress([{"port": 8000, "endPort": 8079}]), "10.0.1.2", "10.0.0.1"))
        self.assertFalse(self.verdict(ingress([{"port": 8080, "protocol": "UDP"}]), "10.0.1.2", "10.0.0.1"))
        self.assertTrue(self.verdict(ingress([{"protocol": "SCTP"}]), "10.0.1.2", "10.0.0.1", "SCTP", 1))
        named = ingress([{"port": "http"}])
        self.assertTrue(self.verdict(named, "10.0.1.2", "10.0.0.1"))
        self.assertFalse(self.verdict(named, "10.0.1.2", "10.0.0.1", port=8081))
        self.assertFalse(self.verdict(ingress([{"port": "dns"}]), "10.0.1.2", "10.0.0.1", "UDP", 53),
                         "a name with the default TCP does not find a UDP port")
        dns_udp = ingress([{"port": "dns", "protocol": "UDP"}])
        self.assertTrue(self.verdict(dns_udp, "10.0.1.2", "10.0.0.1", "UDP", 53))
        self.assertTrue(self.verdict(ingress([{"port": "alt"}]), "10.0.1.2", "10.0.0.1", port=9090),
                        "container port protocol defaults to TCP")

    def test_named_port_on_egress_resolves_on_destination(self):
        pol = [netpol("p", "e", {"podSelector": {"matchLabels": {"app": "cli"}}, "policyTypes": ["Egress"],
                                 "egress": [{"ports": [{"port": "http"}]}]})]
        self.assertTrue(self.verdict(pol, "10.0.0.2", "10.0.0.1"))
        self.assertFalse(self.verdict(pol, "10.0.0.2", "10.0.1.2"), "destination has no port of that name")
        self.assertFalse(self.verdict(pol, "10.0.0.2", "192.0.2.1"), "an outsider has no named ports")

    def test_pod_with_several_ips(self):
        pol = [netpol("p", "i", {"podSelector": {"matchLabels": {"app": "web"}},
                                 "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "cli"}}}]}]})]
        for src, dst in (("10.0.0.2", "10.0.0.1"), ("fd00::2", "fd00::1")):
            self.assertTrue(self.verdict(pol, src, dst))
        self.assertFalse(self.verdict(pol, "10.0.1.2", "10.0.0.1"))
        m = Model(self.base + pol)
        self.assertEqual(m.pod_ip("p/web", 6), "fd00::1")

    def test_policy_in_other_namespace_does_not_apply(self):
        pol = [netpol("q", "deny", {"podSelector": {}, "ingress": []})]
        self.assertTrue(self.verdict(pol, "10.0.0.2", "10.0.0.1"))
        self.assertFalse(self.verdict(pol, "10.0.0.2", "10.0.1.2", port=1))

    def test_namespace_without_object_has_its_name_label(self):
        objs = [pod("r", "w", ["10.0.2.1"]), pod("r", "c", ["10.0.2.2"]),
                netpol("r", "i", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "r"}}}]}]})]
        self.assertTrue(allowed(objs, "10.0.2.2", "10.0.2.1", "TCP", 1))


class RandomPolicies(unittest.TestCase):
    def test_seeded_and_mixed(self):
        a = list(netpol_random.generate(seed=7, count=30))
        b = list(netpol_random.generate(seed=7, count=30))
        self.assertEqual(json.dumps([x.objects for x in a]), json.dumps([x.objects for x in b]))
        mixed = 0
        for sample in a:
            model = Model(sample.objects)
            for probe in sample.probes:
                verdicts = set(model.matrix(nc.PODS, probe.protocol, probe.port, probe.family).values())
                mixed += verdicts == {True, False}
        self.assertGreater(mixed, len(a))  # most samples give mixed matrices

    def test_valid_objects(self):
        for sample in netpol_random.generate(seed=1, count=200):
            for obj in sample.objects:
                json.dumps(obj)
                self.assertRegex(obj["metadata"]["name"], DNS_SUBDOMAIN)
                if obj["kind"] != "NetworkPolicy":
                    continue
                spec = obj["spec"]
                for direction, key in (("ingress", "from"), ("egress", "to")):
                    for rule in spec.get(direction) or []:
                        for peer in rule.get(key) or []:
                            if "ipBlock" in peer:
                                self.assertEqual(set(peer), {"ipBlock"})
                                net = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                                for ex in peer["ipBlock"].get("except", []):
                                    exn = ipaddress.ip_network(ex)
                                    self.assertTrue(exn.version == net.version and exn.subnet_of(net)
                                                    and exn != net, (net, exn))
                            else:
                                self.assertTrue(set(peer) & {"podSelector", "namespaceSelector"})
                        for port in rule.get("ports") or []:
                            if "endPort" in port:
                                self.assertIsInstance(port["port"], int)
                                self.assertGreaterEqual(port["endPort"], port["port"])
                for sel in [spec["podSelector"]]:
                    for req in sel.get("matchExpressions", []):
                        if req["operator"] in ("In", "NotIn"):
                            self.assertTrue(req["values"])
                        else:
                            self.assertNotIn("values", req)

    def test_samples_cover_the_features(self):
        text = json.dumps([s.objects for s in netpol_random.generate(seed=3, count=200)])
        for needle in ('"NotIn"', '"DoesNotExist"', '"Exists"', '"In"', '"except"', '"endPort"', '"serve-',
                       '"UDP"', '"Egress"', '"Ingress"', '"namespaceSelector"'):
            self.assertIn(needle, text)
        samples = list(netpol_random.generate(seed=3, count=200))
        relabelled = [s for s in samples if s.relabelled]
        self.assertTrue(relabelled)
        for s in relabelled:
            pods = {f"{o['metadata']['namespace']}/{o['metadata']['name']}": o
                    for o in s.objects if o["kind"] == "Pod"}
            for key in s.relabelled:
                self.assertNotEqual(pods[key]["metadata"]["labels"], {"pod": key.split("/")[1]})

    def test_deep_copies(self):
        s = next(iter(netpol_random.generate(seed=5, count=1)))
        t = copy.deepcopy(s.objects)
        Model(s.objects).matrix(nc.PODS, "TCP", 80, 4)
        self.assertEqual(s.objects, t, "the model must not change its input")


if __name__ == "__main__":
    unittest.main()
