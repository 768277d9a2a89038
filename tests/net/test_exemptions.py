"""exemption-rules with the mesh and steering: bootstrap traffic bypasses the mesh (issue 7)."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.mesh import form_mesh, mesh_config  # noqa: E402

PLUGINS = ("wireguard-mesh", "fwmark-routing", "exemption-rules")
PORTS = (6443, 2379, 8080)


def exemptions(hosts):
    # Every node: traffic to the others' kube-apiserver/etcd, and our listeners' replies to them.
    peers = " ".join(f"{h.addr4}/32 {h.addr6}/128" for h in hosts)
    return (f"[Exemption control-plane]\nPeers={peers}\nProtocol=tcp\n"
            "Ports=6443 2379-2380\nLocalPorts=6443 2379-2380\n")


class ExemptionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=3).__enter__()
        cls.cp, cls.worker, cls.other = cls.tb.hosts
        for h in cls.tb.hosts:
            h.write_config("exemption-rules.conf", exemptions(cls.tb.hosts))
        # Host traffic is steered too (unscoped), so peers advertise host addresses.
        cls.keys = form_mesh(cls.tb, plugins=PLUGINS, host_addresses=True)
        for port in PORTS:
            cls.cp.popen(["socat", f"TCP4-LISTEN:{port},reuseaddr,fork", "EXEC:cat"])
            cls.cp.popen(["socat", f"TCP6-LISTEN:{port},ipv6only=1,reuseaddr,fork", "EXEC:cat"])
        wait_until(lambda: all(cls.cp.run(["ss", "-ltn"]).stdout.count(f":{p} ") == 2 for p in PORTS), 5)

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def echo(self, src, addr, port, timeout=3):
        target = f"TCP6:[{addr}]:{port}" if ":" in addr else f"TCP4:{addr}:{port}"
        r = src.run(["socat", "-T", str(timeout), "-", target + f",connect-timeout={timeout}"], check=False,
                    input="hello\n", timeout=timeout + 5)
        return r.returncode == 0 and r.stdout.strip() == "hello"

    def clear_tcp(self, cap):
        return {(p.sport, p.dport) for p in cap.packets() if p.proto == "tcp"}

    def test_rules_are_listed(self):
        d = json.loads(self.worker.weftctl("exemptions", "--json", check=True).stdout)
        rules = d["status"]["exemptions"][0]["rules"]
        self.assertIn(f"ip rule 5000: to {self.cp.addr4}/32 ipproto tcp dport 6443 lookup main", rules)
        self.assertIn(f"ip -6 rule 5000: to {self.cp.addr6}/128 ipproto tcp dport 2379-2380 lookup main", rules)
        cp_rules = json.loads(self.cp.weftctl("exemptions", "--json", check=True).stdout)["status"]["exemptions"][0]["rules"]
        self.assertIn(f"ip rule 5000: from {self.cp.addr4}/32 to 192.0.2.12/31 ipproto tcp sport 6443 lookup main",
                      cp_rules)
        self.assertIn("ipproto tcp dport 6443", self.worker.ip("rule").stdout)

    def test_exempt_ports_cross_in_clear_others_encrypted(self):
        for addr in (self.cp.addr4, self.cp.addr6):
            with self.tb.capture() as cap:
                self.assertTrue(self.echo(self.worker, addr, 6443))
                self.assertTrue(self.echo(self.worker, addr, 2379))
            ports = self.clear_tcp(cap)
            self.assertTrue(any(6443 in p for p in ports) and any(2379 in p for p in ports), ports)
            self.assertTrue(all(set(p) & {6443, 2379} for p in ports), f"only the exempt ports in clear: {ports}")
            with self.tb.capture() as cap:
                self.assertTrue(self.echo(self.worker, addr, 8080))
            self.assertEqual(self.clear_tcp(cap), set(), "8080 must not cross in clear")
            self.assertTrue(cap.udp_port(51820), "8080 crossed as WireGuard")

    def test_bootstrap_with_a_new_key(self):
        w, cp = self.worker, self.cp
        # The control plane learns peers from a controller: the worker becomes a runtime peer.
        cfg_peers = [(p, self.keys[p.name]) for p in self.tb.hosts if p not in (cp, w)]
        cp.write_config("wireguard-mesh.conf", mesh_config(cp, cfg_peers, host_addresses=True))
        cp.weftctl("reload", check=True)
        args = ["1", f"{w.addr4}:51820", "4", f"10.99.0.{w.index}/32", f"fd00:99::{w.index}/128",
                f"{w.addr4}/32", f"{w.addr6}/128", "2"]
        cp.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh", "org.weft.Weft1.WireguardMesh",
                  "AddPeer", "ssasasu", w.name, self.keys[w.name], *args, check=True)
        wait_until(lambda: self.echo(w, cp.addr4, 8080), 15)
        # The worker loses its key and restarts with a new identity.
        w.stop_weftd()
        w.run(["rm", "/var/lib/weft/wireguard-mesh/private.key"])
        w.start_weftd(None)
        new_key = w.public_key()
        self.assertNotEqual(new_key, self.keys[w.name])
        with self.tb.capture() as cap:
            self.assertTrue(self.echo(w, cp.addr4, 6443), "bootstrap traffic still works")
            self.assertTrue(self.echo(w, cp.addr4, 2379))
            self.assertFalse(self.echo(w, cp.addr4, 8080, timeout=2), "everything else waits for the new key")
        self.assertTrue(all(set(p) & {6443, 2379} for p in self.clear_tcp(cap)), self.clear_tcp(cap))
        # A control-plane controller publishes the new key.
        cp.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh", "org.weft.Weft1.WireguardMesh",
                  "UpdatePeer", "ssasasu", w.name, new_key, *args, check=True)
        wait_until(lambda: self.echo(w, cp.addr4, 8080), 20, 0.5, "encrypted connectivity to return")
        with self.tb.capture() as cap:
            self.assertTrue(self.echo(w, cp.addr4, 8080))
        self.assertEqual(self.clear_tcp(cap), set())


if __name__ == "__main__":
    unittest.main()
