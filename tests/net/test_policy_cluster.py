"""weave-policy's objects shared through the cluster store (issue 14 item 4), on real traffic.

One etcd member (mutual TLS) on h3; weft nodes h1 and h2 with [Cluster] set, meshed through
etcd discovery (`[Discovery] Etcd=yes`, no [Peer]), fwmark-routing and weave-policy; the 9 pods
of x, y, z spread over h1 and h2 (harness/policy_pods.py). Each node applies only its own pods
(and h1 namespaces x, z, h2 namespace y) with `weftctl policy apply -f -`; the NetworkPolicy is
applied on h1 only. It selects y/a and y/b (h2's pods) and admits ingress only from pods
labelled role=client: at first x/a (on h1) has that label and x/b (on h1) does not.

h1's weave-policy polices no pod interface (PodInterfaces= names none that exists), so every
verdict probed here is h2's: h2 knows the policy, x/a's and x/b's labels and namespace x's
only from the store.

The tests run in order (numbered) on one testbed.
"""
import json
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.cluster import configure, log_mark, log_since, start_all, wait_full_mesh  # noqa: E402
from harness.etcd import EtcdCluster, Pki  # noqa: E402
from harness.mesh import ROUTING  # noqa: E402
from harness.policy_pods import PolicyCluster, namespace_object, pod_object  # noqa: E402
from harness.truth_table import Expected, check  # noqa: E402

TTL = 5  # LeaseTTL= of both nodes, seconds
PLUGINS = ("wireguard-mesh", "fwmark-routing", "weave-policy")
STORE = "/weft/weave-policy/objects/"
POLICY_KEY = STORE + "NetworkPolicy/y/clients-only"
CHANGE_WITHIN = 2.0  # seconds from an Apply/Delete on one node to the other node's new verdict
# h2 polices its bridge; h1 polices nothing (an interface name no link has).
POLICY_CONF = {"h1": "[Enforcement]\nPodInterfaces=nopods0\n", "h2": "[Enforcement]\nBridge=br-pods\n"}
NAMESPACES_OF = {"h1": ("x", "z"), "h2": ("y",)}
CLIENT = {"pod": "a", "role": "client"}

POLICY = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "clients-only", "namespace": "y"},
          "spec": {"podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["a", "b"]}]},
                   "policyTypes": ["Ingress"],
                   "ingress": [{"from": [{"namespaceSelector": {},
                                          "podSelector": {"matchLabels": {"role": "client"}}}]}]}}


def manifest(objects):
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)})


def clients_only(names, clients):
    """Everything allowed, but ingress to y/a and y/b only from `clients`."""
    e = Expected(names).expect_peer("*", "y/a", False).expect_peer("*", "y/b", False)
    for c in clients:
        e.expect_peer(c, "y/a", True).expect_peer(c, "y/b", True)
    return e


class PolicyClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        cls.tb = Testbed(hosts=3).__enter__()
        cls.cluster = None
        try:
            cls.h1, cls.h2, h3 = cls.tb.hosts
            cls.etcd = EtcdCluster(cls.tb, [h3], Pki(cls.tb)).start()
            for h in (cls.h1, cls.h2):
                configure(h, cls.etcd, plugins=PLUGINS, lease_ttl=f"{TTL}s")
                h.write_config("fwmark-routing.conf", ROUTING)
                h.write_config("weave-policy.conf", POLICY_CONF[h.name])
            start_all([cls.h1, cls.h2])
            wait_full_mesh([cls.h1, cls.h2], timeout=30)
            cls.cluster = PolicyCluster(cls.tb, route=None).build()
        except BaseException:
            for h in cls.tb.hosts[:2]:
                print(f"--- {h.name}'s weftd log (tail)\n" + "\n".join(h.weftd_log().splitlines()[-20:]),
                      file=sys.stderr)
            if cls.cluster:
                cls.cluster.close()
            cls.tb.close()
            raise
        print(f"\nset-up: {time.monotonic() - cls.started:.1f} s", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        print(f"\n{cls.__name__}: {time.monotonic() - cls.started:.1f} s", file=sys.stderr)
        cls.cluster.close()
        cls.tb.close()

    # ------------------------------------------------------------ helpers
    def weftctl(self, host, *args, input=None):
        r = host.run([str(Path(self.tb.build_dir) / "cli" / "weftctl")] + list(args), check=False, input=input)
        if r.returncode != 0:
            raise AssertionError(f"{host.name}: weftctl {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def apply(self, host, objects):
        self.weftctl(host, "policy", "apply", "-f", "-", input=manifest(objects))

    def rows(self, host):
        """{(kind, "ns/name" or name): row} of `weftctl policy list --json` on `host`."""
        return {(r["kind"], f"{r['namespace']}/{r['name']}" if r["namespace"] else r["name"]): r
                for r in json.loads(self.weftctl(host, "policy", "list", "--json"))}

    def origins(self, host, kind):
        return {name: r["origin"] for (k, name), r in self.rows(host).items() if k == kind}

    def own_pods(self, host):
        return [p for p in self.cluster if p.host is host]

    def pod_objects(self, host, labels=None):
        return [pod_object(p, (labels or {}).get(p.name)) for p in self.own_pods(host)]

    def reached(self, src, dst, port=80):
        """One TCP probe from pod `src` to pod `dst` (names)."""
        a, b = self.cluster[src], self.cluster[dst]
        reply = a.agent.request({"cmd": "probe", "proto": "tcp", "timeout": 0.3,
                                 "targets": [{"id": 0, "addr": b.addr4, "port": port, "sport": a.next_port()}]})
        return reply["results"][0]["ok"]

    def assert_matrix(self, expected, what, family="v4"):
        result = check(self.cluster, expected, 80, "TCP", family)
        self.assertEqual(result.wrong, 0, f"\n{what}\n{result.text}")

    def wait_verdicts(self, verdicts, t0, what):
        """Waits until every (src, dst): allowed of `verdicts` is probed so; asserts it happened
        within CHANGE_WITHIN of t0 and returns the time it took."""
        def done():
            return all(self.reached(s, d) == want for (s, d), want in verdicts.items())
        wait_until(done, CHANGE_WITHIN + 3, 0.05, what)
        took = time.monotonic() - t0
        self.assertLess(took, CHANGE_WITHIN, f"{what}: took {took:.2f}s")
        return took

    # ------------------------------------------------------------ 1. objects from the store
    def test_1_a_policy_applied_on_h1_is_enforced_by_h2_with_labels_from_the_store(self):
        h1, h2 = self.h1, self.h2
        for h in (h1, h2):
            self.apply(h, [namespace_object(ns) for ns in NAMESPACES_OF[h.name]]
                       + self.pod_objects(h, {"x/a": CLIENT}))
        mine = {h.name: {p.name for p in self.own_pods(h)} for h in (h1, h2)}

        def whole(h):
            o = self.origins(h, "Pod")
            other = "h2" if h is h1 else "h1"
            return (len(o) == 9 and all(o[n] == "local" for n in mine[h.name])
                    and all(o[n] == "cluster" for n in mine[other]) and len(self.origins(h, "Namespace")) == 3)
        for h in (h1, h2):
            wait_until(lambda: whole(h), 5, 0.1, f"{h.name} to see every pod and namespace")
        self.assertEqual(self.origins(h2, "Namespace"), {"x": "cluster", "z": "cluster", "y": "local"})
        self.assertEqual(self.rows(h2)[("Pod", "x/a")]["labels"], "pod=a,role=client")
        # Pods under the node's lease, namespaces persistent.
        got = json.loads(self.etcd.ctl("get", STORE + "Pod/x/a", "-w", "json").stdout)["kvs"][0]
        self.assertNotEqual(int(got.get("lease", 0)), 0, "a pod's record lives under its node's lease")
        got = json.loads(self.etcd.ctl("get", STORE + "Namespace/_/x", "-w", "json").stdout)["kvs"][0]
        self.assertEqual(int(got.get("lease", 0)), 0, "a namespace's record is persistent")

        self.assert_matrix(Expected(self.cluster.names), "no policy yet: everything connects")

        t0 = time.monotonic()
        self.apply(h1, [POLICY])
        took = self.wait_verdicts({("x/b", "y/a"): False, ("x/a", "y/a"): True}, t0, "h2 to enforce h1's policy")
        print(f"\nh1's policy in force on h2 after {took * 1000:.0f} ms", file=sys.stderr)
        self.assertEqual(self.origins(h2, "NetworkPolicy"), {"y/clients-only": "cluster"})
        self.assertEqual(self.origins(h1, "NetworkPolicy"), {"y/clients-only": "local"})
        self.assertEqual(self.rows(h2)[("NetworkPolicy", "y/clients-only")]["selectedPods"], "2")
        self.assertEqual(json.loads(self.etcd.get_prefix(POLICY_KEY)[POLICY_KEY])["spec"], POLICY["spec"])
        expected = clients_only(self.cluster.names, ["x/a"])
        self.assert_matrix(expected, "y/a, y/b: ingress only from x/a (role=client)")
        self.assert_matrix(expected, "the same over IPv6", family="v6")

        # The denial is h2's own, and it names h1's pods from the store.
        time.sleep(1.1)  # the drop log's rate limit refills
        self.assertFalse(self.reached("x/b", "y/a"))

        def dropped():
            rows = json.loads(self.weftctl(h2, "policy", "drops", "50", "--json"))
            return any(r.get("sourcePod") == "x/b" and r.get("destinationPod") == "y/a" for r in rows)
        wait_until(dropped, 5, 0.2, "h2's drop log to show x/b -> y/a")

    # ------------------------------------------------------------ 2. relabel on h1
    def test_2_a_relabel_on_h1_changes_h2s_verdict(self):
        t0 = time.monotonic()
        self.apply(self.h1, self.pod_objects(self.h1, {"x/b": {"pod": "b", "role": "client"}}))
        took = self.wait_verdicts({("x/b", "y/a"): True, ("x/a", "y/a"): False}, t0,
                                  "h2 to take x/b as a client and x/a no more")
        print(f"\nrelabel on h1 in force on h2 after {took * 1000:.0f} ms", file=sys.stderr)
        self.assertEqual(self.rows(self.h2)[("Pod", "x/b")]["labels"], "pod=b,role=client")
        self.assert_matrix(clients_only(self.cluster.names, ["x/b"]), "after the relabel: x/b is the client")

    # ------------------------------------------------------------ 3. bad records
    def test_3_a_record_that_is_not_json_is_logged_by_key_and_changes_nothing(self):
        expected = clients_only(self.cluster.names, ["x/b"])
        before = {h.name: self.rows(h) for h in (self.h1, self.h2)}
        marks = {h.name: log_mark(h) for h in (self.h1, self.h2)}
        good = self.etcd.get_prefix(POLICY_KEY)[POLICY_KEY]
        bad_new = STORE + "NetworkPolicy/y/broken"
        try:
            self.etcd.put(bad_new, "{this is not json")
            self.etcd.put(POLICY_KEY, "{\"kind\": \"NetworkPolicy\", oops")  # the policy's own record
            for h in (self.h1, self.h2):
                wait_until(lambda: all(k in log_since(h, marks[h.name]) for k in
                                       ("objects/NetworkPolicy/y/broken", "objects/NetworkPolicy/y/clients-only")),
                           5, 0.1, f"{h.name} to log both bad records by their keys")
            print("\nlogged as: " + next(line for line in log_since(self.h2, marks["h2"]).splitlines()
                                         if "y/broken" in line), file=sys.stderr)
            self.assert_matrix(expected, "bad records change nothing: the policy's last good version stays")
            for h in (self.h1, self.h2):
                self.assertEqual(self.rows(h), before[h.name], f"{h.name}'s objects")
                self.assertIsNone(h.weftd.poll(), f"{h.name}'s weftd is alive")
        finally:
            self.etcd.delete(bad_new)
            self.etcd.put(POLICY_KEY, good)
        self.assert_matrix(expected, "the good record back")

    # ------------------------------------------------------------ 4. delete on h2
    def test_4_deleting_h1s_policy_on_h2_lifts_it_everywhere(self):
        h1, h2 = self.h1, self.h2
        t0 = time.monotonic()
        self.weftctl(h2, "policy", "delete", "netpol", "y/clients-only")
        took = self.wait_verdicts({("x/a", "y/a"): True, ("z/b", "y/b"): True}, t0, "h2 to lift the policy")
        print(f"\ndelete on h2 in force after {took * 1000:.0f} ms", file=sys.stderr)
        self.assertNotIn(POLICY_KEY, self.etcd.get_prefix(STORE), "the record is gone from the store")
        self.assertEqual(self.origins(h2, "NetworkPolicy"), {})
        self.assert_matrix(Expected(self.cluster.names), "the policy deleted: everything connects")
        # h1 applied it: the store's Delete lifts it there too (a delete anywhere, everywhere).
        wait_until(lambda: self.origins(h1, "NetworkPolicy") == {}, 5, 0.1, "h1 to drop the policy deleted on h2")
        self.assertIn("y/clients-only: deleted cluster-wide on another node", h1.weftd_log())
        self.assertNotIn(POLICY_KEY, self.etcd.get_prefix(STORE))

    # ------------------------------------------------------------ 5. h1 gone
    def test_5_h1_killed_its_pods_go_with_its_lease_the_policy_stays(self):
        h1, h2 = self.h1, self.h2
        self.apply(h1, [POLICY])
        self.wait_verdicts({("x/c", "y/a"): False}, time.monotonic(), "h2 to enforce the policy again")
        self.assertEqual(self.origins(h2, "NetworkPolicy"), {"y/clients-only": "cluster"})
        h1_pods = {p.name for p in self.own_pods(h1)}
        h2_pods = {p.name for p in self.own_pods(h2)}

        h1.kill_weftd()
        t0 = time.monotonic()
        wait_until(lambda: not any(k.startswith(STORE + "Pod/") and k[len(STORE + "Pod/"):] in h1_pods
                                   for k in self.etcd.get_prefix(STORE)), TTL + 10, 0.2, "h1's pod records to expire")
        wait_until(lambda: set(self.origins(h2, "Pod")) == h2_pods, 5, 0.1, "h1's pods to leave h2's view")
        print(f"\nh1's pods gone from h2 {time.monotonic() - t0:.1f} s after the kill (LeaseTTL={TTL}s)",
              file=sys.stderr)
        self.assertEqual(self.origins(h2, "Pod"), {n: "local" for n in h2_pods})
        self.assertEqual(self.origins(h2, "NetworkPolicy"), {"y/clients-only": "cluster"}, "the policy stays")
        self.assertEqual(self.origins(h2, "Namespace"), {"x": "cluster", "y": "local", "z": "cluster"})
        self.assertIn(POLICY_KEY, self.etcd.get_prefix(STORE))
        # And h2 still enforces it among its own pods.
        local = [self.cluster[n] for n in sorted(h2_pods)]
        e = Expected([p.name for p in local]).expect_peer("*", "y/a", False).expect_peer("*", "y/b", False)
        result = check(local, e, 80, "TCP")
        self.assertEqual(result.wrong, 0, "\nh2's pods, h1 gone\n" + result.text)


if __name__ == "__main__":
    unittest.main()
