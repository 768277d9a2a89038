"""The cluster store on etcd (issue 14): a 3-member etcd cluster with mutual TLS on three hosts
and 8 weft nodes whose configs name no peer; they find each other through etcd and mesh.

The tests run in order (numbered) on one testbed; each leaves the cluster whole again.
"""
import base64
import json
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.cluster import (MESH_PLUGIN_PREFIX, Sampler, cluster_status, configure, discovered,  # noqa: E402
                             log_mark, log_since, mesh_peers, start_all, uapi_peers, wait_full_mesh)
from harness.etcd import EtcdCluster, Pki  # noqa: E402

NODES = 8
TTL = 5  # LeaseTTL= of every node, seconds
CUT = ("table inet cutoff {\n"
       " chain out { type filter hook output priority 0; tcp dport 2379 drop; }\n"
       " chain in { type filter hook input priority 0; tcp sport 2379 drop; }\n}\n")


def connected(h):
    return cluster_status(h)["state"] == "connected"


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        cls.tb = Testbed(hosts=NODES + 1).__enter__()  # the last one joins later
        try:
            cls.pki = Pki(cls.tb)
            cls.etcd = EtcdCluster(cls.tb, cls.tb.hosts[:3], cls.pki).start()
            for h in cls.tb.hosts:
                configure(h, cls.etcd, lease_ttl=f"{TTL}s")
            cls.nodes = cls.tb.hosts[:NODES]
            cls.newcomer = cls.tb.hosts[NODES]
            start_all(cls.nodes)
        except BaseException:
            cls.tb.close()
            raise
        cls.keys = None

    @classmethod
    def tearDownClass(cls):
        print(f"\n{cls.__name__}: {time.monotonic() - cls.started:.1f} s", file=sys.stderr)
        cls.tb.close()

    def host(self, name):
        return next(h for h in self.tb.hosts if h.name == name)

    def mesh(self, timeout=30):
        """Waits until the running nodes form a full mesh; returns (and keeps) their keys."""
        type(self).keys = wait_full_mesh(self.nodes, timeout)
        return self.keys

    def records(self):
        return {k[len(MESH_PLUGIN_PREFIX + "nodes/"):]: json.loads(v)
                for k, v in self.etcd.get_prefix(MESH_PLUGIN_PREFIX + "nodes/").items()}

    def assert_pings(self, pairs):
        # 30 s, not 10: a pair whose handshakes crossed may need its session restarted
        # (7 s of silence, docs/CLUSTER.md).
        for a, b in pairs:
            self.assertTrue(a.ping(f"10.99.0.{b.index}", count=2, timeout=30),
                            f"{a.name} -> {b.name} over the mesh")

    def restart(self, h, lose_key=False):
        h.stop_weftd()
        if lose_key:
            h.run(["rm", "-f", "/var/lib/weft/wireguard-mesh/private.key"])
        h.start_weftd(None)

    # ------------------------------------------------------------ forming
    def test_1_full_mesh_from_configs_naming_no_peer(self):
        keys = self.mesh(40)
        h1, h2, h4, h5, h8 = (self.host(n) for n in ("h1", "h2", "h4", "h5", "h8"))
        for h in self.nodes:
            peers = mesh_peers(h)
            self.assertEqual(len(peers), NODES - 1, h.name)
            self.assertEqual({p["source"] for p in peers.values()}, {"discovery"}, h.name)
            p = peers[next(n for n in peers)]
            j = int(p["name"][1:])
            self.assertIn(f"10.99.0.{j}/32", p["allowedIPs"], "mesh addresses as host prefixes")
            self.assertIn(f"10.244.{j}.0/24", p["allowedIPs"], "and the advertised prefixes")
        self.assert_pings([(h1, h8), (h4, h5), (h8, h2), (h5, h1)])
        self.assertTrue(h4.ping("fd00:99::7", count=2), "v6 over the mesh")

        st = cluster_status(h4)
        self.assertEqual((st["backend"], st["state"], st["node"], st["prefix"]), ("etcd", "connected", "h4", "/weft/"))
        self.assertEqual([e["url"] for e in st["endpoints"]], self.etcd.endpoints)
        self.assertEqual(sum(bool(e["preferred"]) for e in st["endpoints"]), 1)
        self.assertEqual(int(st["lease"]["ttl"]), TTL)
        self.assertEqual({n["node"] for n in st["nodes"]}, {h.name for h in self.nodes})

        # etcd holds what the nodes say, under their leases, and never a private key.
        recs = self.records()
        self.assertEqual({n: r["publicKey"] for n, r in recs.items()}, keys)
        self.assertIn(f"{h4.addr4}:51820", recs["h4"]["endpoints"])
        core = json.loads(self.etcd.get_prefix("/weft/core/nodes/")["/weft/core/nodes/h4"])
        self.assertEqual((core["node"], int(core["lease"])), ("h4", int(st["lease"]["id"])))
        got = json.loads(self.etcd.ctl("get", MESH_PLUGIN_PREFIX + "nodes/h4", "-w", "json").stdout)
        self.assertEqual(int(got["kvs"][0]["lease"]), int(st["lease"]["id"]), "the record lives under the lease")
        private = h4.run(["cat", "/var/lib/weft/wireguard-mesh/private.key"]).stdout.strip()
        dump = json.dumps(self.etcd.get_prefix("/"))
        self.assertNotIn(private, dump)
        self.assertNotIn(base64.b64decode(private).hex(), dump)

    # ------------------------------------------------------------ etcd failures
    def test_2_member_killed_discovery_goes_on(self):
        self.mesh()
        self.etcd.kill(0)  # the first endpoint: every node's preferred one at start
        try:
            self.nodes.append(self.newcomer)
            self.newcomer.start_weftd(None)
            self.mesh(30)
            self.assert_pings([(self.newcomer, self.host("h2")), (self.host("h6"), self.newcomer)])
            self.assertTrue(all(connected(h) for h in self.nodes), "two members of three are a quorum")
        finally:
            self.etcd.members[0].start()
            self.etcd.wait_healthy()

    def test_3_node_cut_off_from_etcd_keeps_its_mesh(self):
        keys = self.mesh()
        h5 = self.host("h5")
        sampler = Sampler(self.nodes)
        h5.run(["nft", "-f", "-"], input=CUT)
        try:
            # Its lease runs out in etcd: the others see its records go.
            self.etcd.wait_key(MESH_PLUGIN_PREFIX + "nodes/h5", present=False, timeout=TTL + 10)
            cut = time.monotonic()
            wait_until(lambda: (sampler.sample(), not connected(h5))[1], 20, 0.5, "h5 to see etcd gone")
            sampler.for_seconds(max(0.0, TTL + 3 - (time.monotonic() - cut)))
            self.assertEqual(sampler.changes, [], "nobody's peers changed")
            self.assertEqual(discovered(h5), {n: k for n, k in keys.items() if n != "h5"})
            self.assert_pings([(h5, self.host("h1")), (self.host("h8"), h5), (h5, self.newcomer)])
        finally:
            h5.nft("delete", "table", "inet", "cutoff", check=False)
        wait_until(lambda: connected(h5), 20, 0.5, "h5 connected again")
        self.etcd.wait_key(MESH_PLUGIN_PREFIX + "nodes/h5", present=True, timeout=10)
        self.assertEqual(self.mesh(), keys)

    def test_4_etcd_stopped_and_restarted_no_peer_flaps(self):
        keys = self.mesh()
        sampler = Sampler(self.nodes)
        self.etcd.stop_all()
        try:
            wait_until(lambda: (sampler.sample(), not any(connected(h) for h in self.nodes))[1], 30, 0.5,
                       "every node to see etcd gone")
            down = cluster_status(self.host("h4"))
            self.assertEqual(down["state"], "disconnected")
            self.assertTrue(down["reason"], "a reason is given")
            sampler.for_seconds(TTL + 1)  # longer than a lease: nothing may expire meanwhile
        finally:
            self.etcd.start()
        wait_until(lambda: (sampler.sample(), all(connected(h) for h in self.nodes))[1], 30, 0.5,
                   "every node connected again")
        sampler.for_seconds(TTL + 1)
        self.assertEqual(sampler.changes, [], f"peers flapped ({sampler.count} samples)")
        self.assertEqual(self.mesh(), keys)
        # The watches resumed: a node that comes back with a new key is updated everywhere.
        h6 = self.host("h6")
        self.restart(h6, lose_key=True)
        new = self.mesh(15)
        self.assertNotEqual(new["h6"], keys["h6"])
        self.assert_pings([(self.host("h1"), h6), (h6, self.host("h7"))])

    # ------------------------------------------------------------ bad input
    def test_5_bad_records_are_logged_and_ignored(self):
        self.mesh()
        marks = {h.name: log_mark(h) for h in self.nodes}
        before = Sampler(self.nodes)
        good = self.records()["h2"]
        bad = {
            "bad-json": "{this is not json",
            "bad-key": json.dumps(dict(good, name="bad-key", publicKey="not-a-key")),
            "bad-array": json.dumps([1, 2, 3]),
            # One address that is no address: the whole record goes, not just that address.
            "half": json.dumps(dict(good, name="half", publicKey=base64.b64encode(b"\x01" * 32).decode(),
                                    addresses=["10.99.0.50/24", "bogus"])),
        }
        try:
            for name, value in bad.items():
                self.etcd.put(MESH_PLUGIN_PREFIX + "nodes/" + name, value)

            def all_logged():
                return all(all(n in log_since(h, marks[h.name]) for n in bad) for h in self.nodes)
            try:
                wait_until(all_logged, 10, 0.3, "every node to log every bad record by its key")
            except AssertionError:
                missing = {h.name: [n for n in bad if n not in log_since(h, marks[h.name])] for h in self.nodes}
                raise AssertionError(f"not logged: {missing}\nh1's log: {log_since(self.nodes[0], marks['h1'])}")
            before.for_seconds(1)
            self.assertEqual(before.changes, [], "the peer lists stayed whole")
            for h in self.nodes:
                self.assertIsNone(h.weftd.poll(), f"{h.name}'s weftd is alive")
            print("\nbad record logged as: " + next(l for l in log_since(self.nodes[0], marks["h1"]).splitlines()
                                                    if "bad-key" in l), file=sys.stderr)
        finally:
            for name in bad:
                self.etcd.delete(MESH_PLUGIN_PREFIX + "nodes/" + name)
        self.mesh()

    def test_6_unreachable_endpoint_and_a_good_one(self):
        keys = self.mesh()
        h7 = self.host("h7")
        dead = "https://192.0.2.99:2379"  # on the underlay's subnet, nobody answers ARP
        configure(h7, self.etcd, lease_ttl=f"{TTL}s", endpoints=[dead] + self.etcd.endpoints)
        mark = log_mark(h7)
        self.restart(h7)
        wait_until(lambda: connected(h7), 20, 0.5, "h7 connected through a good endpoint")
        st = cluster_status(h7)
        self.assertEqual([e["url"] for e in st["endpoints"]], [dead] + self.etcd.endpoints)
        preferred = [e["url"] for e in st["endpoints"] if e["preferred"]]
        self.assertNotEqual(preferred, [dead])
        wait_until(lambda: "192.0.2.99" in log_since(h7, mark), 10, 0.5, "the dead endpoint logged")
        self.assertEqual(self.mesh(), keys)
        self.assert_pings([(h7, self.host("h3"))])

    def test_7_wrong_ca_logs_a_tls_error_and_stays_safe(self):
        keys = self.mesh()
        h8 = self.host("h8")
        configure(h8, self.etcd, lease_ttl=f"{TTL}s", ca=self.pki.other_ca)
        mark = log_mark(h8)
        try:
            self.restart(h8)
            st = wait_until(lambda: (lambda s: s if s["state"] == "disconnected" and s["reason"] else None)(
                cluster_status(h8)), 20, 0.5, "h8 disconnected with a reason")
            self.assertRegex(st["reason"], r"(?i)ssl|certificate|tls")
            wait_until(lambda: any(w in log_since(h8, mark) for w in ("SSL", "certificate")), 10, 0.5,
                       "the TLS error logged")
            time.sleep(TTL)  # a while of retrying: still alive, still serving its mesh state
            self.assertIsNone(h8.weftd.poll(), "weftd is alive")
            self.assertEqual(h8.weftctl("status").returncode, 0)
            self.assertEqual(h8.ip("link", "show", "weft0", check=False).returncode, 0, "weft0 stays")
            # Standalone-safe: what it lists (from its cache, or nothing) is whole and true.
            for name, p in mesh_peers(h8).items():
                self.assertEqual(p["publicKey"], keys.get(name), f"h8's peer {name}")
            # The others keep h8 meanwhile (its lease is gone, the grace period is not).
            for h in self.nodes:
                if h is not h8:
                    self.assertEqual(discovered(h).get("h8"), keys["h8"], h.name)
            self.assertIn(keys["h8"], uapi_peers(self.host("h1")))
        finally:
            configure(h8, self.etcd, lease_ttl=f"{TTL}s")
            self.restart(h8)
        self.assertEqual(self.mesh(), keys)
        self.assert_pings([(h8, self.host("h1"))])


if __name__ == "__main__":
    unittest.main()
