"""The truth-table harness of weave-policy's kernel tests (issue 12) tests itself: the 9 pods of
upstream's netpol suite on 2 hosts answer on every port and protocol, and a hand-written
nftables drop of one pair shows up as exactly that wrong cell. No weft runs here."""
import json
import sys
import time
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed  # noqa: E402
from harness.policy_pods import NAMESPACES, PolicyCluster  # noqa: E402
from harness.truth_table import Expected, check, compare, probe_matrix  # noqa: E402

CASES = [(80, "TCP"), (81, "UDP"), (80, "SCTP")]
FAMILIES = ("v4", "v6")
MATRIX_BUDGET = 1.5  # seconds per probe_matrix; the 48 upstream cases make about 60 calls


def drop_table(pairs, match):
    """An nftables table whose forward hook drops `match` traffic from a to b of each pair
    (both families)."""
    rules = ""
    for a, b in pairs:
        rules += f"    ip saddr {a.addr4} ip daddr {b.addr4} {match} drop\n"
        rules += f"    ip6 saddr {a.addr6} ip6 daddr {b.addr6} {match} drop\n"
    return f"table inet harness {{\n  chain drops {{\n    type filter hook forward priority 0;\n{rules}  }}\n}}\n"


def first_packet_lost(a, b, match):
    """A table dropping the first `match` packet from a to b, and only that one: a set
    remembers that it was dropped."""
    return f"""table inet harness {{
  set lost4 {{ type ipv4_addr; flags dynamic; }}
  set lost6 {{ type ipv6_addr; flags dynamic; }}
  chain drops {{
    type filter hook forward priority 0;
    ip saddr {a.addr4} ip daddr {b.addr4} {match} ip saddr != @lost4 add @lost4 {{ ip saddr }} drop
    ip6 saddr {a.addr6} ip6 daddr {b.addr6} {match} ip6 saddr != @lost6 add @lost6 {{ ip6 saddr }} drop
  }}
}}
"""


class PolicyHarnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=2).__enter__()
        try:
            cls.cluster = PolicyCluster(cls.tb).build()
        except BaseException:
            cls.tb.close()
            raise
        cls.all_true = Expected(cls.cluster.names)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        cls.tb.close()

    def tearDown(self):
        for h in self.tb.hosts:
            h.nft("delete", "table", "inet", "harness", check=False)

    def install(self, host, table):
        host.run(["nft", "-f", "-"], input=table)

    def timed_matrix(self, *args, **kw):
        start = time.monotonic()
        observed = probe_matrix(self.cluster, *args, **kw)
        took = time.monotonic() - start
        print(f"\n  probe_matrix{args}: {took:.3f}s", file=sys.stderr, end="")
        self.assertLess(took, MATRIX_BUDGET, f"probe_matrix{args} took {took:.2f}s")
        return observed

    # ------------------------------------------------------------ the cluster
    def test_pods_spread_over_both_hosts_with_both_paths(self):
        c = self.cluster
        self.assertEqual(c.names, [f"{ns}/{p}" for ns in "xyz" for p in "abc"])
        for ns in NAMESPACES:
            self.assertEqual({c[f"{ns}/{p}"].host.index for p in "abc"}, {1, 2}, f"namespace {ns} on both hosts")
        pairs = [(a, b) for a in c for b in c if a is not b]
        self.assertTrue(any(a.host is b.host for a, b in pairs) and any(a.host is not b.host for a, b in pairs))
        self.assertEqual(len({p.addr4 for p in c} | {p.addr6 for p in c}), 18)
        for p in c:
            self.assertTrue(p.addr4.startswith(f"10.244.{p.host.index}."), p)
            self.assertTrue(p.addr6.startswith(f"fd00:244:{p.host.index}::"), p)
            addrs = json.loads(p.ip("-j", "addr", "show", "dev", "eth0").stdout)[0]["addr_info"]
            self.assertLessEqual({p.addr4, p.addr6}, {a["local"] for a in addrs}, p)
            master = json.loads(p.host.ip("-j", "link", "show", "dev", p.veth).stdout)[0]["master"]
            self.assertEqual(master, "br-pods", p)

    def test_kubernetes_objects_and_manifest(self):
        objs = self.cluster.objects()
        namespaces = [o for o in objs if o["kind"] == "Namespace"]
        pods = [o for o in objs if o["kind"] == "Pod"]
        self.assertEqual([n["metadata"] for n in namespaces],
                         [{"name": ns, "labels": {"ns": ns, "kubernetes.io/metadata.name": ns}} for ns in "xyz"])
        self.assertEqual(len(pods), 9)
        xa = next(p for p in pods if p["metadata"]["namespace"] == "x" and p["metadata"]["name"] == "a")
        self.assertEqual(xa["metadata"]["labels"], {"pod": "a"})
        self.assertEqual(xa["status"]["podIPs"], [{"ip": self.cluster["x/a"].addr4}, {"ip": self.cluster["x/a"].addr6}])
        ports = sorted((p["name"], p["containerPort"], p["protocol"])
                       for cont in xa["spec"]["containers"] for p in cont["ports"])
        self.assertEqual(ports, sorted((f"serve-{n}-{proto.lower()}", n, proto)
                                       for n in (80, 81) for proto in ("TCP", "UDP", "SCTP")))
        self.assertEqual(list(yaml.safe_load_all(self.cluster.manifest())), objs)
        self.assertEqual(json.loads(self.cluster.manifest("json")), {"apiVersion": "v1", "kind": "List", "items": objs})

    # ------------------------------------------------------------ (a) no policy: all reachable
    def test_without_policy_every_pair_is_reachable(self):
        for port, proto in CASES:
            for family in FAMILIES:
                with self.subTest(proto=proto, port=port, family=family):
                    observed = self.timed_matrix(port, proto, family)
                    self.assertEqual(len(observed), 81)
                    result = compare(self.all_true, observed, title=f"{proto}/{port} {family}")
                    self.assertEqual(result.wrong, 0, result.text)
                    self.assertTrue(all(observed.values()), "self-pairs are reachable too")

    # ------------------------------------------------------------ (b) one dropped cell
    def test_a_dropped_routed_pair_is_exactly_one_wrong_cell(self):
        xa, yb = self.cluster["x/a"], self.cluster["y/b"]
        self.assertIsNot(xa.host, yb.host, "x/a -> y/b is routed")
        self.install(xa.host, drop_table([(xa, yb)], "tcp dport 80"))
        for family in FAMILIES:
            with self.subTest(family=family):
                observed = self.timed_matrix(80, "TCP", family)
                self.assertEqual([p for p, ok in observed.items() if not ok], [("x/a", "y/b")])
                result = compare(self.all_true, observed, title=f"TCP/80 {family}")
                self.assertEqual((result.wrong, result.cells), (1, [("x/a", "y/b")]), result.text)
                self.assertIn("x/a -> y/b: expected allowed, observed denied", result.text)
                # One X in the observed grid, one in the comparison grid, none in the expected.
                rows = result.text.splitlines()[3:12]
                self.assertEqual("".join(rows).count("X"), 2, result.text)
                # The matching expectation passes; the rule touches nothing else.
                expected = Expected(self.cluster.names).expect_peer("x/a", "y/b", False)
                self.assertEqual(check(self.cluster, expected, 80, "TCP", family).wrong, 0)
                for port, proto in ((81, "TCP"), (80, "UDP"), (80, "SCTP")):
                    result = check(self.cluster, self.all_true, port, proto, family)
                    self.assertEqual(result.wrong, 0, result.text)

    def test_a_dropped_bridged_pair_on_udp_and_sctp_is_exactly_one_wrong_cell(self):
        xa, xb = self.cluster["x/a"], self.cluster["x/b"]
        self.assertIs(xa.host, xb.host, "x/a -> x/b is bridged")
        # Bridged traffic meets the inet forward hook through br_netfilter, as in the seed.
        xa.host.sysctl("net.bridge.bridge-nf-call-iptables", "1")
        xa.host.sysctl("net.bridge.bridge-nf-call-ip6tables", "1")
        self.install(xa.host, drop_table([(xa, xb)], "meta l4proto { udp, sctp } th dport 81"))
        for proto in ("UDP", "SCTP"):
            for family in FAMILIES:
                with self.subTest(proto=proto, family=family):
                    observed = self.timed_matrix(81, proto, family)
                    result = compare(self.all_true, observed, title=f"{proto}/81 {family}")
                    self.assertEqual(result.cells, [("x/a", "x/b")], result.text)
                    self.assertEqual(check(self.cluster, self.all_true, 80, proto, family).wrong, 0)

    # ------------------------------------------------------------ retries
    def test_one_lost_packet_is_retried_but_a_denial_is_not_hidden(self):
        xc, za = self.cluster["x/c"], self.cluster["z/a"]
        for proto, match in (("UDP", "udp dport 81"), ("SCTP", "sctp dport 81")):
            for family in FAMILIES:
                with self.subTest(proto=proto, family=family):
                    self.install(xc.host, first_packet_lost(xc, za, match))
                    observed = self.timed_matrix(81, proto, family, retries=0)
                    self.assertEqual([p for p, ok in observed.items() if not ok], [("x/c", "z/a")],
                                     "without a retry the lost packet shows")
                    xc.host.nft("delete", "table", "inet", "harness")
                    self.install(xc.host, first_packet_lost(xc, za, match))
                    result = compare(self.all_true, self.timed_matrix(81, proto, family))
                    self.assertEqual(result.wrong, 0, result.text)
                    xc.host.nft("delete", "table", "inet", "harness")
        # A real denial stays a denial after the retry.
        self.install(xc.host, drop_table([(xc, za)], "udp dport 81"))
        self.assertEqual(check(self.cluster, self.all_true, 81, "UDP").cells, [("x/c", "z/a")])

    # ------------------------------------------------------------ the expected matrix
    def test_expected_builder_and_compare(self):
        e = Expected(self.cluster.names)
        e.expect_all_ingress("x/a", False).expect_peer("x/*", "x/a", True).expect_all_egress("z/c", False)
        e.allow_loopback()
        self.assertFalse(e.get("y/b", "x/a"))
        self.assertTrue(e.get("x/c", "x/a"))
        self.assertFalse(e.get("z/c", "y/a"))
        self.assertTrue(e.get("z/c", "z/c"))
        self.assertTrue(e.get("y/a", "z/c"))
        self.assertEqual(e.match("*/b"), ["x/b", "y/b", "z/b"])
        self.assertEqual(e.match("y"), ["y/a", "y/b", "y/c"])
        with self.assertRaises(KeyError):
            e.match("w/*")
        observed = dict(e.cells)
        observed[("y/b", "y/b")] = False  # a self-pair: shown, not counted (upstream ignores them)
        observed[("y/b", "x/a")] = True
        result = compare(e, observed)
        self.assertEqual((result.wrong, result.cells), (1, [("y/b", "x/a")]), result.text)
        self.assertIn("~", result.text)
        self.assertEqual(compare(e, observed, ignore_loopback=False).wrong, 2)
        del observed[("x/a", "x/b")]
        with self.assertRaises(KeyError):
            compare(e, observed)


if __name__ == "__main__":
    unittest.main()
