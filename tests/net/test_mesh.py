"""wireguard-mesh on three simulated hosts (issue 5)."""
import json
import signal
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.mesh import form_mesh, mesh_config  # noqa: E402


def peers(h):
    return {p["name"]: p for p in json.loads(h.weftctl("mesh", "--json", check=True).stdout)["peers"]}


class MeshTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=3).__enter__()
        cls.keys = form_mesh(cls.tb, plugins=("wireguard-mesh",), extra="PeerDownAfter=6s\n")
        cls.h1, cls.h2, cls.h3 = cls.tb.hosts

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def test_mesh_from_config_pings_encrypted_over_v4_and_v6(self):
        with self.tb.capture() as cap:
            for a in self.tb.hosts:
                for b in self.tb.hosts:
                    if a is not b:
                        self.assertTrue(a.ping(f"10.99.0.{b.index}", count=2), f"{a.name} -> {b.name} v4")
                        self.assertTrue(a.ping(f"fd00:99::{b.index}", count=2), f"{a.name} -> {b.name} v6")
        self.assertTrue(cap.only_udp_port(51820), cap.lines()[:20])
        self.assertEqual(self.h1.wg("show", "weft0", "listen-port").stdout.strip(), "51820")
        self.assertEqual(self.h1.wg("show", "weft0", "fwmark").stdout.strip(), "0x51820")

    def test_secrets_never_leave(self):
        key = self.h1.run(["cat", "/var/lib/weft/wireguard-mesh/private.key"]).stdout.strip()
        mode = self.h1.run(["stat", "-c", "%a", "/var/lib/weft/wireguard-mesh/private.key"]).stdout.strip()
        self.assertEqual(mode, "600")
        everything = (self.h1.weftctl("describe").stdout + self.h1.busctl(
            "introspect", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh").stdout + self.h1.weftd_log())
        self.assertNotIn(key, everything)

    def test_restart_keeps_the_identity(self):
        before = self.h3.public_key()
        self.h3.stop_weftd()
        self.h3.start_weftd(None)
        self.assertEqual(self.h3.public_key(), before)

    def test_runtime_peer_over_dbus(self):
        bad = self.h1.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh",
                             "org.weft.Weft1.WireguardMesh", "AddPeer", "ssasasu", "x", "not-a-key", "0", "0", "0")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("publicKey: not a WireGuard key", bad.stderr)
        cfg = self.h1.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh",
                             "org.weft.Weft1.WireguardMesh", "RemovePeer", "s", "h2")
        self.assertIn("comes from wireguard-mesh.conf", cfg.stderr)
        r = self.h1.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh",
                           "org.weft.Weft1.WireguardMesh", "UpdatePeer", "ssasasu", "nope", self.keys["h3"], "0", "0", "0")
        self.assertIn("no runtime peer nope", r.stderr)
        # h1 forgets h3 in its config; a controller adds it back at run time.
        self.h1.write_config("wireguard-mesh.conf", mesh_config(self.h1, [(self.h2, self.keys["h2"])],
                                                                "PeerDownAfter=6s\n"))
        self.h1.weftctl("reload", check=True)
        try:
            self.assertFalse(self.h1.ping("10.99.0.3", count=1, timeout=2))
            r = self.h1.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh",
                               "org.weft.Weft1.WireguardMesh", "AddPeer", "ssasasu", "h3", self.keys["h3"],
                               "1", f"{self.h3.addr4}:51820", "1", "10.99.0.3/32", "2")
            self.assertEqual(r.returncode, 0, r.stderr)
            wait_until(lambda: self.h1.ping("10.99.0.3", count=1, timeout=2), 15, 0.5, "the runtime peer")
            self.assertEqual(peers(self.h1)["h3"]["source"], "runtime")
            self.h1.stop_weftd()
            self.h1.start_weftd(None)
            self.assertEqual(peers(self.h1)["h3"]["source"], "runtime", "runtime peers survive a restart")
            self.h1.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh",
                           "org.weft.Weft1.WireguardMesh", "RemovePeer", "s", "h3", check=True)
            self.assertNotIn("h3", peers(self.h1))
        finally:
            self.h1.write_config("wireguard-mesh.conf", mesh_config(
                self.h1, [(self.h2, self.keys["h2"]), (self.h3, self.keys["h3"])], "PeerDownAfter=6s\n"))
            self.h1.weftctl("reload", check=True)

    def test_dead_endpoint_rotates_to_the_live_one(self):
        extra = "PeerDownAfter=6s\nEndpointTimeout=2s\n"
        self.h2.write_config("wireguard-mesh.conf", mesh_config(
            self.h2, [(self.h1, self.keys["h1"]), (self.h3, self.keys["h3"])], extra,
            endpoints={"h1": ["192.0.2.99:51820", f"{self.h1.addr4}:51820"]}))
        self.h2.stop_weftd()
        self.h1.stop_weftd()  # h1 must not help by roaming to h2 first
        self.h2.run(["wg", "set", "weft0", "peer", self.keys["h1"], "remove"], check=False)
        self.h2.start_weftd(None)
        wait_until(lambda: peers(self.h2)["h1"]["endpoint"] == f"{self.h1.addr4}:51820", 20, 0.5,
                   "rotation to the second endpoint")
        self.h1.start_weftd(None)
        wait_until(lambda: self.h2.ping("10.99.0.1", count=1, timeout=2), 20)
        self.assertEqual(peers(self.h2)["h1"]["endpoint"], f"{self.h1.addr4}:51820")

    def test_stopped_host_goes_down_and_comes_back(self):
        mon = self.h1.popen(["busctl", f"--address={self.h1.bus_address}", "monitor", "--match",
                             "type='signal',member='PeerStateChanged'"], stdout=__import__("subprocess").PIPE)
        self.h3.stop_weftd()
        self.h3.run(["ip", "link", "del", "weft0"], check=False)  # the whole node goes away
        wait_until(lambda: peers(self.h1)["h3"]["state"] == "down", 15, 0.5, "h3 down on h1")
        self.h3.start_weftd(None)
        wait_until(lambda: peers(self.h1)["h3"]["state"] == "up", 20, 0.5, "h3 back up on h1")
        time.sleep(0.5)
        mon.kill()
        out = mon.stdout.read().decode()
        self.assertIn('"down"', out)
        self.assertIn('"up"', out)

    def test_killed_wireguard_go_is_recovered(self):
        pid = self.h2.run(["pgrep", "-f", "wireguard-go -f weft0"]).stdout.split()[0]
        self.h2.run(["kill", "-9", pid])
        wait_until(lambda: self.h2.run(["pgrep", "-f", "wireguard-go -f weft0"], check=False).stdout.split() not in ([], [pid]),
                   15, 0.5, "a new wireguard-go")
        wait_until(lambda: self.h2.ping("10.99.0.1", count=1, timeout=2), 20, 0.5, "traffic after recovery")


if __name__ == "__main__":
    unittest.main()
