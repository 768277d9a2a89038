"""The Host's kernel services through a running weftd, as a plugin uses them (issue 11): probes,
conntrack deletes and counts, logged packets (nflog), named counters kept across a restart, and
several WireGuard links of one plugin, each with its own supervised wireguard-go. The test-only
plugin `hostcalls` puts each Host call behind a D-Bus method."""
import json
import os
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.mesh import processes  # noqa: E402

BUILD = Path(os.environ.get("WEFT_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
HOSTCALLS = BUILD / "tests" / "plugins" / "hostcalls"
OBJECT = "/org/weft/Weft1/plugin/hostcalls"
IFACE = "org.weft.Weft1.HostCalls"
# Answers DNS queries (any name, NXDOMAIN) on UDP 5353: the response bit set, the id kept.
DNS_RESPONDER = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    q, peer = s.recvfrom(512)
    s.sendto(q[:2] + bytes([0x81, 0x83]) + q[4:], peer)
"""


def pairs(d):
    out = [str(len(d))]
    for k, v in d.items():
        out += [k, str(v)]
    return out


class HostCallsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=2).__enter__()
        cls.h, cls.peer = cls.tb.hosts
        cls.peer.ip("addr", "add", "198.51.100.1/32", "dev", "lo")
        cls.peer.popen(["socat", "TCP-LISTEN:7001,fork,reuseaddr", "/dev/null"])
        cls.peer.popen(["python3", "-c", DNS_RESPONDER])
        # 198.51.100.1 is reachable from h only through table 77, i.e. with fwmark 0x77.
        cls.h.ip("route", "add", "198.51.100.0/24", "via", cls.peer.addr4, "table", "77")
        cls.h.ip("rule", "add", "fwmark", "0x77", "lookup", "77", "priority", "100")
        # Another manager's table whose ct rule makes this namespace track its flows.
        # It also marks two of the test's flows.
        cls.h.sh("nft add table inet other && nft add chain inet other o "
                 "'{ type filter hook output priority 0; }' && nft add rule inet other o ct state new counter"
                 " && nft add rule inet other o udp dport 9001 ct mark set 0x10"
                 " && nft add rule inet other o udp dport 9002 ct mark set 0x11")
        cls.h.write_config("hostcalls.conf", "[HostCalls]\nLogGroup=86\nWireguardLinks=2\n"
                           f"LogDestination={cls.peer.addr4}/32\n")
        cls.h.start_weftd(["hostcalls"], plugin_dirs=[HOSTCALLS])
        wait_until(lambda: cls.peer.run(["ss", "-lun"]).stdout.count(":5353") > 0, 10, 0.1,
                   "the DNS responder")

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def call(self, method, signature="", *args, check=True):
        argv = ["--json=short", "call", "org.weft.Weft1", OBJECT, IFACE, method]
        if signature:
            argv += [signature] + list(args)
        r = self.h.busctl(*argv, check=check)
        return json.loads(r.stdout)["data"][0] if r.returncode == 0 else r

    # ------------------------------------------------------------ probes
    def probe(self, **request):
        return int(self.call("StartProbe", "a{ss}", *pairs(request)))

    def results(self, ids, timeout=10):
        want = {str(i) for i in ids}
        def done():
            got = {r["id"]: r for r in self.call("ProbeResults")}
            return {i: got[i] for i in want} if want <= got.keys() else None
        return wait_until(done, timeout, 0.1, f"results of probes {sorted(want)}")

    def test_probes_report_ok_timeout_and_error_on_the_loop(self):
        p = self.peer.addr4
        ids = {
            "icmp": self.probe(kind="icmp", target=p),
            "icmp_dead": self.probe(kind="icmp", target="192.0.2.99", timeout_ms="800"),
            "tcp": self.probe(kind="tcp", target=p, port="7001"),
            "tcp_closed": self.probe(kind="tcp", target=p, port="7002"),
            "dns": self.probe(kind="dns", target=p, port="5353", name="example.org"),
            "dns_closed": self.probe(kind="dns", target=p, port="5354"),
            "icmp_eth0": self.probe(kind="icmp", target=p, interface="eth0"),
            "icmp_lo": self.probe(kind="icmp", target=p, interface="lo", timeout_ms="800"),
            "icmp_bad_if": self.probe(kind="icmp", target=p, interface="nosuchif0"),
            "marked": self.probe(kind="icmp", target="198.51.100.1", mark="0x77"),
            "unmarked": self.probe(kind="icmp", target="198.51.100.1", timeout_ms="800"),
        }
        res = self.results(ids.values())
        r = {name: res[str(i)] for name, i in ids.items()}
        for ok in ("icmp", "tcp", "dns", "icmp_eth0", "marked"):
            self.assertEqual(r[ok]["status"], "ok", f"{ok}: {r[ok]}")
            self.assertGreater(int(r[ok]["rtt_us"]), 0, ok)
        self.assertEqual(r["icmp_dead"]["status"], "timeout", r["icmp_dead"])
        self.assertEqual(r["tcp_closed"]["status"], "error")
        self.assertIn("refused", r["tcp_closed"]["error"])
        self.assertEqual(r["dns_closed"]["status"], "error", r["dns_closed"])
        self.assertNotEqual(r["icmp_lo"]["status"], "ok", r["icmp_lo"])
        self.assertEqual(r["icmp_bad_if"]["status"], "error", r["icmp_bad_if"])
        self.assertNotEqual(r["unmarked"]["status"], "ok", r["unmarked"])

    def test_many_probes_in_flight_and_the_bus_stays_responsive(self):
        started = time.monotonic()
        ids = [self.probe(kind="tcp" if i % 2 else "icmp", target=self.peer.addr4, port="7001")
               for i in range(60)]
        ids.append(self.probe(kind="icmp", target="192.0.2.98", timeout_ms="3000"))
        # While the slow one waits, weftd answers at once: the loop is not blocked.
        t = time.monotonic()
        self.call("ProbeResults")
        self.assertLess(time.monotonic() - t, 1.0)
        res = self.results(ids, timeout=20)
        self.assertEqual(sum(r["status"] == "ok" for r in res.values()), 60)
        self.assertEqual(res[str(ids[-1])]["status"], "timeout")
        self.assertLess(time.monotonic() - started, 15)

    def test_a_bad_probe_request_is_a_named_error(self):
        r = self.call("StartProbe", "a{ss}", *pairs({"kind": "icmp", "target": "not-an-address"}),
                      check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("target", r.stderr)

    # ------------------------------------------------------------ conntrack
    def send_udp(self, ports):
        code = ("import socket\n"
                f"for p in {list(ports)}:\n"
                "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                f"    s.sendto(b'x', ('{self.peer.addr4}', p))\n")
        self.h.run(["python3", "-c", code])

    def flows(self):
        out = self.h.run(["conntrack", "-L", "-p", "udp", "-d", self.peer.addr4], check=False).stdout
        return sorted(int(line.split("dport=")[1].split()[0]) for line in out.splitlines()
                      if "dport=" in line)

    def test_flows_are_deleted_by_filter_and_counted_by_mark(self):
        self.h.run(["conntrack", "-F"], check=False)
        self.send_udp(range(9001, 9007))
        wait_until(lambda: len(self.flows()) == 6, 5, 0.1, "six tracked flows")
        counts = self.call("CountFlows", "u", "0xf0")
        self.assertEqual(counts.get("0x10"), "2", counts)
        self.assertEqual(int(self.call("DeleteFlows", "a{ss}", *pairs({"ctmark": "0x11/0xff"}))), 1)
        self.assertEqual(self.flows(), [9001, 9003, 9004, 9005, 9006])
        self.assertEqual(int(self.call("DeleteFlows", "a{ss}",
                                       *pairs({"protocol": "17", "dport": "9003-9004"}))), 2)
        self.assertEqual(self.flows(), [9001, 9005, 9006])
        self.assertEqual(int(self.call("DeleteFlows", "a{ss}",
                                       *pairs({"destination": self.peer.addr4 + "/32",
                                               "family": "4"}))), 3)
        self.assertEqual(self.flows(), [])
        bad = self.call("DeleteFlows", "a{ss}", *pairs({"dport": "x"}), check=False)
        self.assertIn("dport", bad.stderr)

    # ------------------------------------------------------------ nflog and counters
    def test_logged_packets_arrive_decoded_and_counters_count(self):
        before = len(self.call("Logged"))
        self.assertTrue(self.h.ping(self.peer.addr4, count=3))
        wait_until(lambda: len(self.call("Logged")) >= before + 3, 5, 0.1, "three logged packets")
        p = self.call("Logged")[-1]
        self.assertEqual(p["prefix"], "hostcalls: ")
        self.assertEqual(p["group"], "86")
        self.assertEqual((p["family"], p["source"], p["destination"], p["protocol"]),
                         ("4", self.h.addr4, self.peer.addr4, "1"))
        self.assertEqual(p["out"], "eth0")
        self.send_udp([4242])
        wait_until(lambda: self.call("Logged")[-1]["dport"] == "4242", 5, 0.1, "the UDP packet")
        packets = int(self.call("Counters")["logged"].split()[0])
        self.assertGreaterEqual(packets, 4)
        listing = self.h.nft("list", "table", "inet", "weft_hostcalls").stdout
        self.assertIn('log prefix "hostcalls: " group 86', listing)
        self.assertIn('counter name "logged"', listing)

    def test_restart_adopts_the_table_unchanged_and_keeps_counters(self):
        self.assertTrue(self.h.ping(self.peer.addr4, count=1))
        handles = self.h.nft("-a", "list", "table", "inet", "weft_hostcalls").stdout
        packets = self.call("Counters")["logged"].split()[0]
        self.h.stop_weftd()
        self.h.start_weftd(["hostcalls"], plugin_dirs=[HOSTCALLS])
        self.assertEqual(self.h.nft("-a", "list", "table", "inet", "weft_hostcalls").stdout, handles)
        self.assertEqual(self.call("Counters")["logged"].split()[0], packets)

    # ------------------------------------------------------------ several WireGuard links
    def test_each_link_has_its_own_supervised_wireguard_go(self):
        for i in (0, 1):
            self.assertEqual(self.h.wg("show", f"wghc{i}", "listen-port").stdout.strip(),
                             str(51900 + i))
            self.assertIn(f"10.250.{i}.1/24", self.h.ip("addr", "show", f"wghc{i}").stdout)
        pid0 = processes(self.h, "wireguard-go -f wghc0")
        pid1 = processes(self.h, "wireguard-go -f wghc1")
        self.assertEqual((len(pid0), len(pid1)), (1, 1))
        self.h.run(["kill", "-9", str(pid1[0])])
        wait_until(lambda: processes(self.h, "wireguard-go -f wghc1") not in ([], pid1), 15, 0.5,
                   "a new wireguard-go for wghc1")
        wait_until(lambda: self.h.run(["wg", "show", "wghc1", "listen-port"], check=False)
                   .stdout.strip() == "51901", 15, 0.5, "wghc1 configured again")
        self.assertEqual(processes(self.h, "wireguard-go -f wghc0"), pid0, "the other link untouched")


if __name__ == "__main__":
    unittest.main()
