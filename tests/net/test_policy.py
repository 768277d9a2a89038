"""weave-policy on real traffic (issue 12): the upstream netpol e2e cases (42 TCP, 3 UDP,
3 SCTP) and ours (harness/netpol_cases.py), the 9 pods of namespaces x, y, z on two hosts
joined by the WireGuard mesh (harness/policy_pods.py), each case's truth table probed pair by
pair (harness/truth_table.py). Every host's weftd is given the same objects over D-Bus."""
import json
import os
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness import netpol_cases as nc  # noqa: E402
from harness.mesh import form_mesh  # noqa: E402
from harness.policy_pods import PolicyCluster  # noqa: E402
from harness.truth_table import Expected, check  # noqa: E402

OBJECT = "/org/weft/Weft1/plugin/weave_2dpolicy"
INTERFACE = "org.weft.Weft1.WeavePolicy"
CONFIG = "[Enforcement]\nBridge=br-pods\n"


def policy_call(host, method, signature, *args, check=True):
    r = host.busctl("--json=short", "call", "org.weft.Weft1", OBJECT, INTERFACE, method, signature,
                    *[str(a) for a in args])
    if check and r.returncode != 0:
        raise AssertionError(f"{host.name}: {method} failed: {r.stderr.strip()}")
    return r


def policy_property(host, name):
    r = host.busctl("--json=short", "get-property", "org.weft.Weft1", OBJECT, INTERFACE, name, check=True)
    return json.loads(r.stdout)["data"]


class PolicyCase(unittest.TestCase):
    """Shared set-up: the mesh with weave-policy on both hosts and the 9 pods."""

    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=2).__enter__()
        try:
            for h in cls.tb.hosts:
                h.write_config("weave-policy.conf", CONFIG)
            form_mesh(cls.tb, plugins=("wireguard-mesh", "fwmark-routing", "weave-policy"))
            cls.cluster = PolicyCluster(cls.tb, route=None).build()
        except BaseException:
            cls.tb.close()
            raise
        cls.ips = {p.name: [p.addr4, p.addr6] for p in cls.cluster}

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        cls.tb.close()

    # ------------------------------------------------------------ objects on every host
    def apply(self, objects):
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
        for h in self.tb.hosts:
            policy_call(h, "Apply", "s", text)
        self.synced()

    def delete(self, kind, ns, name):
        for h in self.tb.hosts:
            policy_call(h, "Delete", "sss", kind, ns, name)
        self.synced()

    def synced(self):
        wait_until(lambda: all(policy_property(h, "Synced") for h in self.tb.hosts), 5, 0.02,
                   "weave-policy to hand its table to the kernel")

    def reset(self, cluster):
        """Back to the case's starting point: no policy, the cluster's own labels and ports."""
        for h in self.tb.hosts:
            rows = json.loads(policy_call(h, "List", "").stdout)["data"][0]
            for r in rows:
                if r["kind"] == "NetworkPolicy":
                    policy_call(h, "Delete", "sss", "NetworkPolicy", r["namespace"], r["name"])
        self.apply(cluster.objects())

    def run_case(self, case):
        cluster = nc.Cluster(self.ips, variant=case.variant)
        self.reset(cluster)
        for n, step in enumerate(case.steps(cluster)):
            if isinstance(step, nc.Apply):
                self.apply(step.objects)
            elif isinstance(step, nc.Delete):
                self.delete(step.kind, step.namespace, step.name)
            elif isinstance(step, nc.Relabel):
                self.apply([step.object])
            elif isinstance(step, nc.Probe):
                expected = Expected(self.cluster.names)
                expected.cells = dict(step.expected)
                family = "v6" if step.family == 6 else "v4"
                result = check(self.cluster, expected, step.port, step.protocol, family)
                self.assertEqual(result.wrong, 0,
                                 f"\n{case.name} (step {n}{': ' + step.what if step.what else ''})\n"
                                 + result.text)
            else:
                raise TypeError(step)


def _add_tests(cls, cases):
    for i, case in enumerate(cases):
        slug = "".join(ch if ch.isalnum() else "_" for ch in case.name.lower())[:80]
        setattr(cls, f"test_{i:02d}_{slug}", lambda self, c=case: self.run_case(c))


class UpstreamCases(PolicyCase):
    pass


class ExtraCases(PolicyCase):
    pass


_add_tests(UpstreamCases, nc.UPSTREAM_CASES)
_add_tests(ExtraCases, nc.EXTRA_CASES)

if __name__ == "__main__":
    unittest.main()
