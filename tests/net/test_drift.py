"""Drift the kernel does not announce is repaired within about a second (issue 15, item 11):
WireGuard devices (wireguard-go has no notifications) and sysctls are polled by weftd."""
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.mesh import form_mesh  # noqa: E402

REPAIRED_WITHIN = 2.0  # seconds; weftd polls once a second


class DriftTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=2).__enter__()
        cls.keys = form_mesh(cls.tb, plugins=("wireguard-mesh", "fwmark-routing"))
        cls.h1, cls.h2 = cls.tb.hosts

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def repaired(self, probe, what):
        """Seconds until probe() is true; fails after REPAIRED_WITHIN (plus the probe's own time)."""
        started = time.monotonic()
        wait_until(probe, REPAIRED_WITHIN, 0.05, what)
        took = time.monotonic() - started
        self.assertLess(took, REPAIRED_WITHIN + 0.5, what)
        return took

    def test_listen_port_changed_by_hand(self):
        h = self.h1
        h.wg("set", "weft0", "listen-port", "40000")
        self.assertEqual(h.wg("show", "weft0", "listen-port").stdout.strip(), "40000")
        self.repaired(lambda: h.wg("show", "weft0", "listen-port").stdout.strip() == "51820", "the listen port back")

    def test_peer_removed_by_hand(self):
        h, key = self.h1, self.keys["h2"]
        h.wg("set", "weft0", "peer", key, "remove")
        self.assertNotIn(key, h.wg("show", "weft0", "peers").stdout)
        self.repaired(lambda: key in h.wg("show", "weft0", "peers").stdout, "the peer back")
        wait_until(lambda: h.ping("10.99.0.2", count=1, timeout=2), 10, 0.2, "traffic to the peer")

    def test_src_valid_mark_reset(self):
        h = self.h2
        path = "/proc/sys/net/ipv4/conf/all/src_valid_mark"
        self.assertEqual(h.run(["cat", path]).stdout.strip(), "1")
        h.sysctl("net.ipv4.conf.all.src_valid_mark", "0")
        self.repaired(lambda: h.run(["cat", path]).stdout.strip() == "1", "src_valid_mark back to 1")

    def test_no_drift_no_reconcile(self):
        """Polling finds nothing on an untouched node: no drift logged, nothing applied."""
        h = self.h2
        mark = len(h.weftd_log())
        time.sleep(3.5)
        quiet = h.weftd_log()[mark:]
        self.assertNotIn("drift:", quiet)
        self.assertNotIn("applied", quiet)


if __name__ == "__main__":
    unittest.main()
