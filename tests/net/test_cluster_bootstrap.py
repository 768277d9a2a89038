"""The bootstrap story of issue 14 item 5, with nothing done by hand: the control-plane host runs
etcd (mutual TLS) on 2379; every node runs wireguard-mesh (discovery through etcd, no [Peer]),
fwmark-routing (host traffic steered into the mesh, as in test_steering.py) and exemption-rules
(2379-2380 and 6443 bypass the mesh, as in test_exemptions.py). A worker loses its key and
restarts: it reaches etcd in clear (TLS), publishes its new key, every other node updates the
peer, and encrypted connectivity is back within 5 s. A capture on the underlay for the whole
story shows nothing in clear but the exempted ports and WireGuard.
"""
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.cluster import (MESH_PLUGIN_PREFIX, cluster_status, configure, discovered, start_all,  # noqa: E402
                             wait_full_mesh)
from harness.etcd import EtcdCluster, Pki  # noqa: E402
from harness.mesh import ROUTING  # noqa: E402

PLUGINS = ("wireguard-mesh", "fwmark-routing", "exemption-rules")
EXEMPT = {2379, 2380, 6443}
WG_PORT = 51820
RECOVERY = 5.0  # seconds from the worker's restart to encrypted connectivity
FORMATION = 30.0  # seconds for the first paths: a dead session restarted (7 s), with room


def exemptions(hosts):
    # Every node: traffic to the others' kube-apiserver/etcd, and our listeners' replies to them.
    peers = " ".join(f"{h.addr4}/32 {h.addr6}/128" for h in hosts)
    return (f"[Exemption control-plane]\nPeers={peers}\nProtocol=tcp\n"
            "Ports=6443 2379-2380\nLocalPorts=6443 2379-2380\n")


def in_clear(cap):
    """The captured packets that are neither WireGuard, nor TCP on an exempted port, nor IPv6
    neighbour/router/multicast-listener housekeeping."""
    bad = []
    for p in cap.packets():
        if p.proto == "udp" and WG_PORT in (p.sport, p.dport):
            continue
        if p.proto == "tcp" and {p.sport, p.dport} & EXEMPT:
            continue
        if p.proto == "icmp6" and "echo" not in p.line:
            continue
        bad.append(p.line)
    return bad


class BootstrapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=4).__enter__()
        try:
            cls.cp, cls.worker = cls.tb.hosts[0], cls.tb.hosts[1]
            cls.pki = Pki(cls.tb)
            cls.etcd = EtcdCluster(cls.tb, [cls.cp], cls.pki).start()
            for h in cls.tb.hosts:
                h.write_config("exemption-rules.conf", exemptions(cls.tb.hosts))
                h.write_config("fwmark-routing.conf", ROUTING)
                # Host traffic is steered too (unscoped), so nodes advertise their host addresses.
                configure(h, cls.etcd, plugins=PLUGINS,
                          mesh_extra=f"AdvertisedPrefixes={h.addr4}/32 {h.addr6}/128\n")
            cls.cp.popen(["socat", "TCP4-LISTEN:8080,reuseaddr,fork", "EXEC:cat"])
            wait_until(lambda: ":8080 " in cls.cp.run(["ss", "-ltn"]).stdout, 5)
        except BaseException:
            cls.tb.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def echo(self, src, addr, port=8080, timeout=3):
        r = src.run(["socat", "-T", str(timeout), "-", f"TCP4:{addr}:{port},connect-timeout={timeout}"],
                    check=False, input="hello\n", timeout=timeout + 5)
        return r.returncode == 0 and r.stdout.strip() == "hello"

    def quick_ping(self, src, dst):
        return src.run(["ping", "-c", "1", "-W", "0.3", dst], check=False, timeout=5).returncode == 0

    def broken_paths(self, w, timeout=3):
        """The encrypted paths from and to worker `w` that do not work now (empty: all do)."""
        others = [h for h in self.tb.hosts if h is not w]
        paths = [(f"ping {w.name} -> 10.99.0.{h.index}", lambda h=h: self.quick_ping(w, f"10.99.0.{h.index}"))
                 for h in others]
        paths += [(f"ping {self.cp.name} -> 10.99.0.{w.index}", lambda: self.quick_ping(self.cp, f"10.99.0.{w.index}")),
                  # host traffic, steered into the mesh
                  (f"tcp {w.name} -> {self.cp.addr4}:8080", lambda: self.echo(w, self.cp.addr4, timeout=timeout)),
                  (f"tcp {w.name} -> 10.99.0.{self.cp.index}:8080",
                   lambda: self.echo(w, f"10.99.0.{self.cp.index}", timeout=timeout))]
        for name, works in paths:
            if not works():
                return [name]  # the first broken path is enough; the rest would only cost time
        return []

    def wait_paths_work(self, w, within, message, timeout=3):
        """Waits up to `within` s for every encrypted path of `w` to work; the failure names the
        path that was still broken."""
        broken, first = [], []

        def works():
            broken[:] = self.broken_paths(w, timeout)
            first.append(broken[:])
            return not broken
        start = time.monotonic()
        try:
            wait_until(works, within, 0.1, message)
        except AssertionError as e:
            raise AssertionError(f"{e}; still broken: {broken}") from None
        if first[0]:  # worth seeing in the log: how long a path stayed broken, and which
            print(f"\n{message}: {first[0]} broken at first, all work after "
                  f"{time.monotonic() - start:.2f} s", file=sys.stderr)

    def test_worker_loses_its_key_and_is_back_within_5s_nothing_in_clear(self):
        w, cp = self.worker, self.cp
        others = [h for h in self.tb.hosts if h is not w]
        with self.tb.capture() as whole:
            start_all(self.tb.hosts)
            keys = wait_full_mesh(self.tb.hosts, 40)
            self.assertTrue(all(cluster_status(h)["state"] == "connected" for h in self.tb.hosts))
            # Formation is not timed; only the recovery below is. When two nodes discover each
            # other at once, both initiate, and now and then wireguard-go (0.0.20220316) ends
            # with one side holding a session the other dropped; wireguard-mesh restarts it
            # after 7 s of silence (docs/CLUSTER.md).
            self.wait_paths_work(w, FORMATION, "encrypted connectivity before the loss")
            rules = w.ip("rule").stdout
            self.assertIn("dport 2379-2380", rules, "etcd is exempted")

            # The worker loses its key and restarts.
            w.stop_weftd()
            w.run(["rm", "/var/lib/weft/wireguard-mesh/private.key"])
            with self.tb.capture(f"tcp port 2379 and host {w.addr4}") as to_etcd:
                restarted = time.monotonic()
                w.start_weftd(None)
                new_key = w.public_key()
                self.assertNotEqual(new_key, keys[w.name])

                def updated():
                    return all(discovered(h).get(w.name) == new_key for h in others)
                wait_until(updated, RECOVERY + 5, 0.1, "every node to take the worker's new key")
                peers_updated = time.monotonic() - restarted
                self.wait_paths_work(w, RECOVERY + 10, "encrypted connectivity to return", timeout=1)
                back = time.monotonic() - restarted
            print(f"\nnew key everywhere {peers_updated:.2f} s, encrypted connectivity {back:.2f} s "
                  "after the restart", file=sys.stderr)
            self.assertLessEqual(back, RECOVERY)
            record = self.etcd.get_prefix(MESH_PLUGIN_PREFIX + "nodes/" + w.name)
            self.assertIn(new_key, record[MESH_PLUGIN_PREFIX + "nodes/" + w.name])
            # The worker reached etcd on the underlay, in clear (TLS), not through the tunnel.
            self.assertTrue([p for p in to_etcd.packets() if p.src == w.addr4 and p.dport == 2379],
                            to_etcd.lines()[:10])
            self.wait_paths_work(self.tb.hosts[2], FORMATION, "the other workers' encrypted paths")
        leaks = in_clear(whole)
        self.assertEqual(leaks, [], "only the exempted ports and WireGuard cross the underlay in clear")
        self.assertTrue(whole.udp_port(WG_PORT), "the mesh traffic crossed as WireGuard")
        self.assertTrue(whole.tcp_to_port(2379), "etcd crossed in clear, exempted")


if __name__ == "__main__":
    unittest.main()
