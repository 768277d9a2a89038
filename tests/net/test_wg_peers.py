"""1,000 WireGuard peers added and removed over D-Bus on the wireguard-go back end (issue 15,
item 7): every call answers quickly, the plugin stays healthy, the device follows. And a
wireguard-go that stops answering (handshakes stuck behind a neighbour that never resolves)
neither stalls weftd nor gets restarted."""
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.mesh import form_mesh, mesh_call, processes, public_keys  # noqa: E402

PLUGIN = "/org/weft/Weft1/plugin/wireguard_2dmesh"
QUICK = 2.0  # seconds a D-Bus call may take


def plugin_state(h):
    return h.busctl("get-property", "org.weft.Weft1", PLUGIN, "org.weft.Weft1.Plugin", "State").stdout.strip()


def wg_peers(h, timeout=60):
    return h.run(["wg", "show", "weft0", "peers"], timeout=timeout).stdout.split()


class WireguardPeersTest(unittest.TestCase):
    def setUp(self):
        self.tb = Testbed(hosts=1).__enter__()
        form_mesh(self.tb, plugins=("wireguard-mesh",), wait=False)
        self.h = self.tb.hosts[0]

    def tearDown(self):
        self.tb.close()

    def timed(self, method, signature, *args):
        started = time.monotonic()
        r = mesh_call(self.h, method, signature, *args)
        took = time.monotonic() - started
        self.assertEqual(r.returncode, 0, r.stderr)
        return took

    def test_a_thousand_peers_added_and_removed_over_dbus(self):
        h, keys = self.h, public_keys(1000)
        slowest = 0.0
        for i, key in enumerate(keys):
            slowest = max(slowest, self.timed("AddPeer", "ssasasu", f"r{i}", key, 0, 1,
                                              f"10.210.{i // 256}.{i % 256}/32", 0))
        wait_until(lambda: len(wg_peers(h)) == 1000, 10, 0.5, "1,000 peers in wireguard-go")
        self.assertEqual(plugin_state(h), 's "running"', h.weftd_log()[-2000:])
        for i in range(len(keys)):
            slowest = max(slowest, self.timed("RemovePeer", "s", f"r{i}"))
        wait_until(lambda: wg_peers(h) == [], 10, 0.5, "no peer left in wireguard-go")
        self.assertEqual(plugin_state(h), 's "running"', h.weftd_log()[-2000:])
        self.assertLess(slowest, QUICK)
        self.assertNotIn("UAPI", h.weftd_log())

    def test_a_busy_wireguard_go_stalls_nothing_and_is_not_restarted(self):
        h = self.h
        # An on-link endpoint that never answers ARP: wireguard-go's handshakes queue behind
        # the neighbour until its UDP send buffer is full, and then its UAPI stops answering.
        h.ip("route", "add", "198.51.100.0/24", "dev", "eth0")
        pid = processes(h, "wireguard-go -f weft0")
        slowest = 0.0
        keys = public_keys(600)
        for i, key in enumerate(keys):
            slowest = max(slowest, self.timed("AddPeer", "ssasasu", f"r{i}", key, 1, "198.51.100.7:51820",
                                              1, f"10.210.{i // 256}.{i % 256}/32", 25))
        for _ in range(8):  # the loop answers all along: reads, and a describe of every peer
            started = time.monotonic()
            self.assertTrue(plugin_state(h).startswith("s "))
            self.assertEqual(h.weftctl("status").returncode, 0)
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.5)
        self.assertLess(slowest, QUICK, h.weftd_log()[-3000:])
        self.assertEqual(processes(h, "wireguard-go -f weft0"), pid, "a busy wireguard-go is not killed")
        self.assertIn("is busy", h.weftd_log(), "the reason is said")


if __name__ == "__main__":
    unittest.main()
