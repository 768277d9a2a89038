"""fwmark-routing with wireguard-mesh on three hosts with pods (issue 6)."""
import json
import re
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.mesh import ROUTING, form_mesh, mesh_config  # noqa: E402


class SteeringTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=3, pods_per_host=1).__enter__()
        cls.keys = form_mesh(cls.tb)
        cls.h1, cls.h2, cls.h3 = cls.tb.hosts

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def routing(self, text):
        for h in self.tb.hosts:
            h.write_config("fwmark-routing.conf", text)
            h.weftctl("reload", check=True)

    def peers_with_host_addresses(self, on):
        for h in self.tb.hosts:
            peers = [(p, self.keys[p.name]) for p in self.tb.hosts if p is not h]
            h.write_config("wireguard-mesh.conf", mesh_config(h, peers, host_addresses=on))
            h.weftctl("reload", check=True)

    def tearDown(self):
        self.routing(ROUTING)
        self.peers_with_host_addresses(False)

    def test_pod_to_pod_is_encrypted(self):
        p1, p2 = self.h1.pods[0], self.h2.pods[0]
        with self.tb.capture() as cap:
            self.assertEqual(p1.run(["ping", "-c", "3", "-i", "0.2", p2.addr4], check=False).returncode, 0)
            self.assertEqual(p1.run(["ping", "-c", "3", "-i", "0.2", p2.addr6], check=False).returncode, 0)
        self.assertTrue(cap.only_udp_port(51820), cap.lines()[:10])
        out = self.h1.weftctl("routes").stdout
        self.assertRegex(out, r"mesh: steer ipv4\s+[1-9]")
        self.assertIn("rule: ip rule 5100: fwmark 0x51821/0x51821 lookup 180", out)
        self.assertIn("route: ip route table 180: default dev weft0 scope link", out)

    def test_endpoint_inside_destinations_does_not_loop(self):
        self.routing(ROUTING + "Destinations=192.0.2.0/24 2001:db8::/64\n")
        self.assertIn("192.0.2.0/24", self.h1.nft("list", "set", "inet", "weft_fwmark_routing", "mesh_dst4").stdout)
        p1, p2 = self.h1.pods[0], self.h2.pods[0]
        with self.tb.capture() as cap:
            self.assertEqual(p1.run(["ping", "-c", "3", "-i", "0.2", p2.addr4], check=False).returncode, 0)
        self.assertTrue(cap.only_udp_port(51820))

    def test_foreign_mark_bit_does_not_hide_wireguards_own_packets(self):
        # Issue 15 item 8: another manager adds a mark bit to every packet. With SkipMark= left
        # out, or written bare and compared as the whole word, WireGuard's own packets to an
        # endpoint inside Destinations were steered into the tunnel they carry: a loop of
        # hundreds of thousands of packets within seconds of one ping.
        def tunnel_tx():
            link = json.loads(self.h1.run(["ip", "-s", "-j", "link", "show", "weft0"]).stdout)[0]
            return link["stats64"]["tx"]["packets"]

        self.peers_with_host_addresses(True)  # endpoints lie inside the targets, hence Destinations
        foreign = ("table inet foreign {\n chain out { type route hook output priority -200; "
                   "meta mark set meta mark | 0x1000000; }\n}\n")
        self.h1.run(["nft", "-f", "-"], input=foreign)
        try:
            for skip in ("", "SkipMark=0x51820\n"):
                with self.subTest(skip=skip):
                    self.routing("[Route mesh]\nInterface=weft0\n" + skip +
                                 "Destinations=@wireguard-mesh/targets\n")
                    self.assertIn(self.h2.addr4, self.h1.nft("list", "set", "inet", "weft_fwmark_routing",
                                                             "mesh_dst4").stdout)
                    before = tunnel_tx()
                    reached = self.h1.ping("10.99.0.2", count=3, timeout=5)
                    time.sleep(1)
                    sent = tunnel_tx() - before
                    self.assertLess(sent, 200, f"{sent} packets entered the tunnel: WireGuard's own loop")
                    self.assertTrue(reached or wait_until(lambda: self.h1.ping("10.99.0.2", count=1), 15))
        finally:
            self.h1.nft("delete", "table", "inet", "foreign")

    def test_source_scoped_host_traffic_uses_main(self):
        for h in self.tb.hosts:
            h.write_config("fwmark-routing.conf", ROUTING + f"Sources=10.244.{h.index}.0/24 fd00:244:{h.index}::/64\n")
            h.weftctl("reload", check=True)
        p2 = self.h2.pods[0]
        with self.tb.capture() as cap:
            self.assertTrue(self.h1.ping(p2.addr4, count=2), "host -> remote pod through main")
        self.assertTrue(any(p.proto == "icmp" for p in cap.packets()), "host traffic crossed in clear, via main")
        with self.tb.capture() as cap:
            self.assertEqual(self.h1.pods[0].run(["ping", "-c", "2", "-i", "0.2", p2.addr4], check=False).returncode, 0)
        self.assertTrue(cap.only_udp_port(51820), "pod traffic is still encrypted")
        self.assertNotIn("meta mark set", self.h1.nft("list", "chain", "inet", "weft_fwmark_routing", "output").stdout)

    def test_unscoped_host_traffic_needs_host_addresses_in_allowed_ips(self):
        # The seed's drop: host traffic enters the tunnel with its underlay source address,
        # which the peer's AllowedIPs lack, so the peer drops it.
        p2 = self.h2.pods[0]
        self.assertFalse(self.h1.ping(p2.addr4, count=2, timeout=3))
        self.peers_with_host_addresses(True)
        self.routing(ROUTING)
        with self.tb.capture() as cap:
            self.assertTrue(wait_until(lambda: self.h1.ping(p2.addr4, count=1, timeout=2), 15))
        self.assertTrue(cap.only_udp_port(51820), "host traffic is encrypted")

    def test_foreign_mark_bits_survive(self):
        rules = ("table inet foreign {\n"
                 " chain pre { type route hook output priority -200; meta mark set meta mark | 0x1000000; }\n"
                 " chain post { type filter hook output priority -100; meta mark & 0x1000000 == 0x1000000 "
                 "meta mark & 0x51821 == 0x51821 counter; }\n}\n")
        self.h1.run(["nft", "-f", "-"], input=rules)
        try:
            self.assertTrue(self.h1.ping("10.99.0.2", count=3))
            out = self.h1.nft("list", "chain", "inet", "foreign", "post").stdout
            self.assertRegex(out, r"counter packets [1-9]", "our mark was added and the foreign bit kept")
        finally:
            self.h1.nft("delete", "table", "inet", "foreign")

    def test_100k_destinations_keep_the_ruleset_constant(self):
        def rule_count():
            return len(re.findall(r"# handle", self.h1.nft("-a", "list", "table", "inet", "weft_fwmark_routing").stdout))
        before = rule_count()
        lines = [f"Destinations=100.{64 + n // 65536}.{(n // 256) % 256}.{n % 256}/32" for n in range(0, 200000, 2)]
        self.h1.write_config("fwmark-routing.conf", ROUTING + "\n".join(lines) + "\n")
        mark = len(self.h1.weftd_log())
        self.h1.weftctl("reload", check=True)
        out = self.h1.nft("list", "set", "inet", "weft_fwmark_routing", "mesh_dst4").stdout
        self.assertGreaterEqual(out.count(","), 100000 - 1)
        self.assertEqual(rule_count(), before, "one set lookup per packet, whatever the size")
        fallback = self.h1.ip("route", "show", "table", "181").stdout
        self.assertGreaterEqual(fallback.count("dev weft0"), 100000, "one fallback route per prefix")
        self.h1.write_config("fwmark-routing.conf", ROUTING + "\n".join(lines) + "\nDestinations=198.18.0.1/32\n")
        mark = len(self.h1.weftd_log())
        self.h1.weftctl("reload", check=True)
        # The set element and its fallback route in table 181 (issue 15 item 9): two messages.
        self.assertIn("applied 2 change(s)", self.h1.weftd_log()[mark:], "one element, one route")


if __name__ == "__main__":
    unittest.main()
