"""The mesh on hosts whose main table does not route the mesh (issue 15 item 9).

No default route at all (v4 or v6) and an IPv6-only underlay: the hosts reach each other only
by their IPv6 underlay addresses, the peers' endpoints are IPv6, and the underlay routes no
pod CIDR. A locally generated packet gets its route before the output hook can mark it, so
without a route for the destination the send fails (ENETUNREACH) and is never steered;
forwarded pod traffic is marked in prerouting first and does not need one.
"""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed  # noqa: E402
from harness.mesh import form_mesh  # noqa: E402
from harness.proc import run  # noqa: E402


def strip_routes(tb):
    """Removes every default route, the hosts' IPv4 underlay addresses and the underlay's
    routes to the pod CIDRs: a clear path to a remote pod or mesh address no longer exists."""
    ul = ["ip", "netns", "exec", tb.underlay]
    for h in tb.hosts:
        h.ip("route", "del", "default")
        h.ip("-6", "route", "del", "default")
        h.ip("addr", "del", f"{h.addr4}/24", "dev", "eth0")
        run(ul + ["ip", "route", "del", f"10.244.{h.index}.0/24"])
        run(ul + ["ip", "-6", "route", "del", f"fd00:244:{h.index}::/64"])


def tunnel_tx(h):
    link = json.loads(h.run(["ip", "-s", "-j", "link", "show", "weft0"]).stdout)[0]
    return link["stats64"]["tx"]["packets"]


class NoDefaultRouteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=3, pods_per_host=1).__enter__()
        try:
            strip_routes(cls.tb)
            endpoints = {h.name: [f"[{h.addr6}]:51820"] for h in cls.tb.hosts}
            # Host addresses in AllowedIPs: the peers' endpoints lie inside Destinations, so a
            # fallback that caught WireGuard's own packets would loop them.
            form_mesh(cls.tb, endpoints=endpoints, host_addresses=True)
        except BaseException:
            cls.tb.close()
            raise
        cls.h1, cls.h2, cls.h3 = cls.tb.hosts

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def test_testbed_has_no_route_to_the_mesh(self):
        for h in self.tb.hosts:
            self.assertEqual(h.ip("route", "show", "default").stdout.strip(), "")
            self.assertEqual(h.ip("-6", "route", "show", "default").stdout.strip(), "")
            self.assertNotIn("inet ", h.ip("addr", "show", "dev", "eth0").stdout)
        for h in self.tb.hosts:
            p = self.h2.pods[0] if h is not self.h2 else self.h1.pods[0]
            for dst in (p.addr4, p.addr6):
                r = h.run(["ip", "route", "get", dst, "mark", "0x51820"], check=False)
                self.assertNotEqual(r.returncode, 0, f"{h.name}: main routes {dst}: {r.stdout}")

    def test_host_and_pod_traffic_crosses_encrypted(self):
        with self.tb.capture() as cap:
            for a in self.tb.hosts:
                for b in self.tb.hosts:
                    if a is b:
                        continue
                    pod = b.pods[0]
                    for dst in (f"10.99.0.{b.index}", f"fd00:99::{b.index}", pod.addr4, pod.addr6):
                        self.assertTrue(a.ping(dst, count=2, timeout=5), f"host {a.name} -> {dst}")
                    for dst in (pod.addr4, pod.addr6):
                        r = a.pods[0].run(["ping", "-c", "2", "-i", "0.2", "-W", "1", "-w", "5", dst], check=False)
                        self.assertEqual(r.returncode, 0, f"pod on {a.name} -> {dst}")
        self.assertTrue(cap.only_udp_port(51820), cap.lines()[:20])
        self.assertTrue(all(":" in p.src for p in cap.packets()), "the underlay carries IPv6 only")

    def test_no_packet_loops(self):
        before = tunnel_tx(self.h1)
        self.assertTrue(self.h1.ping(self.h2.pods[0].addr6, count=3, timeout=5))
        self.assertTrue(self.h1.ping(self.h2.pods[0].addr4, count=3, timeout=5))
        self.assertLess(tunnel_tx(self.h1) - before, 50, "packets loop through weft0")

    def test_wireguards_own_packets_never_take_the_fallback(self):
        # An ordinary packet finds a route into the tunnel; one carrying the mesh's
        # FirewallMark (also with another manager's bit added) finds none.
        for dst in (self.h2.pods[0].addr4, self.h2.pods[0].addr6, self.h2.addr4):
            r = self.h1.run(["ip", "route", "get", dst], check=False)
            self.assertEqual(r.returncode, 0, f"{dst}: {r.stderr}")
            self.assertIn("dev weft0", r.stdout)
            for mark in ("0x51820", "0x1051820"):
                r = self.h1.run(["ip", "route", "get", dst, "mark", mark], check=False)
                self.assertNotEqual(r.returncode, 0, f"{dst} mark {mark} is routed: {r.stdout}")


if __name__ == "__main__":
    unittest.main()
