"""The kernel engine through weftd and the probe plugin: ownership, drift repair, atomic
batches, adoption and hitless restart, coexistence, flush, leases (issue 3)."""
import json
import os
import re
import signal
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402

BUILD = Path(os.environ.get("WEFT_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
PROBE = BUILD / "tests" / "plugins" / "probe"
# 203.0.113.2 lives on h2; h1's main table cannot reach it: only weft's table 300 can.
CONF = "[Probe]\nDevice=eth0\nDestinations=203.0.113.0/24\nSysctl=yes\n"


class EngineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=2).__enter__()
        cls.h, cls.peer = cls.tb.hosts
        cls.peer.ip("addr", "add", "203.0.113.2/32", "dev", "lo")
        cls.underlay_blackhole()

    @classmethod
    def underlay_blackhole(cls):
        # The underlay router must not know 203.0.113.0/24 either.
        from harness.proc import run
        run(["ip", "netns", "exec", cls.tb.underlay, "ip", "route", "add", "blackhole", "203.0.113.0/24"], check=False)

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def setUp(self):
        self.h.write_config("probe.conf", CONF)
        self.start()

    def tearDown(self):
        self.h.stop_weftd()
        self.h.weftctl("flush")
        for p in (self.h.root / "etc/weft").glob("*.conf"):
            p.unlink()

    def start(self, extra=""):
        if extra:
            self.h.write_config("weftd.conf", "[Daemon]\nPlugins=probe\n" + extra)
            self.h.start_weftd(None, plugin_dirs=[PROBE])
        else:
            self.h.start_weftd(["probe"], plugin_dirs=[PROBE])

    def state(self):
        return json.loads(self.h.weftctl("status", "--json", check=True).stdout)["plugins"][0]

    def rules(self):
        return self.h.ip("rule").stdout

    def test_everything_is_tagged_and_traffic_flows(self):
        table = self.h.nft("list", "table", "inet", "weft_probe").stdout
        self.assertIn('comment "weft:probe"', table)
        self.assertIn("flags owner", table)
        self.assertRegex(self.rules(), r"6000:\s+from all fwmark 0x100/0x100 lookup 300 proto (149|weft)")
        self.assertIn("proto", self.h.ip("route", "show", "table", "300").stdout)
        self.assertEqual(self.h.run(["sysctl", "-n", "net.ipv4.conf.all.src_valid_mark"]).stdout.strip(), "1")
        self.assertTrue(self.h.ping("203.0.113.2", count=2))

    def test_rule_and_route_drift_is_repaired_within_a_second(self):
        mark = len(self.h.weftd_log())
        self.h.ip("rule", "del", "priority", "6000")
        wait_until(lambda: "6000:" in self.rules(), 1.0, 0.05, "the ip rule to come back")
        self.assertIn("drift: weft's ip rules were changed by someone else", self.h.weftd_log()[mark:])
        self.h.ip("route", "flush", "table", "300")
        wait_until(lambda: "default" in self.h.ip("route", "show", "table", "300").stdout, 1.0, 0.05,
                   "the route to come back")

    def test_owned_table_refuses_foreign_changes(self):
        r = self.h.nft("delete", "table", "inet", "weft_probe", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Operation not permitted", r.stderr)

    def test_unowned_table_drift_is_repaired_within_a_second(self):
        self.h.stop_weftd()
        self.h.weftctl("flush")
        self.start("NftablesOwnerFlag=no\n")
        self.h.nft("delete", "table", "inet", "weft_probe")
        wait_until(lambda: self.h.nft("list", "table", "inet", "weft_probe", check=False).returncode == 0, 1.0, 0.05,
                   "the table to come back")
        self.assertIn("drift: nftables table weft_probe", self.h.weftd_log())

    def test_kernel_error_mid_batch_changes_nothing(self):
        before = self.h.nft("list", "table", "inet", "weft_probe").stdout
        self.h.write_config("probe.conf", CONF.replace("203.0.113.0/24", "203.0.113.0/24 198.18.0.0/15") + "BadRule=yes\n")
        self.h.weftctl("reload", check=True)
        wait_until(lambda: self.state()["state"] == "failed", 3)
        self.assertIn("missing_chain", self.state()["lastError"])
        after = re.sub(r"packets \d+ bytes \d+", "", self.h.nft("list", "table", "inet", "weft_probe").stdout)
        self.assertEqual(after, re.sub(r"packets \d+ bytes \d+", "", before), "the batch was rolled back whole")
        self.assertNotIn("198.18.0.0", after)
        self.assertIsNone(self.h.weftd.poll(), "weftd keeps running")
        self.h.write_config("probe.conf", CONF)
        self.h.weftctl("reload", check=True)
        wait_until(lambda: self.state()["state"] == "running", 3)

    def test_desired_state_outside_the_lease_is_refused(self):
        self.h.write_config("probe.conf", CONF + "OutsideLease=yes\n")
        self.h.weftctl("reload", check=True)
        wait_until(lambda: self.state()["state"] == "failed", 3)
        self.assertIn("nftables table not_leased is not leased", self.state()["lastError"])
        self.assertNotEqual(self.h.nft("list", "table", "inet", "not_leased", check=False).returncode, 0)

    def test_element_diff_and_adoption_without_changes(self):
        self.h.write_config("probe.conf", CONF + "Elements=20000\n")
        self.h.weftctl("reload", check=True)
        self.h.write_config("probe.conf", CONF + "Elements=20001\n")
        mark = len(self.h.weftd_log())
        self.h.weftctl("reload", check=True)
        self.assertIn("applied 1 change(s)", self.h.weftd_log()[mark:], "one element, one message")
        for sig in (signal.SIGTERM, signal.SIGKILL):
            self.h.stop_weftd(sig)
            mark = len(self.h.weftd_log())
            self.start()
            self.assertNotIn("applied", self.h.weftd_log()[mark:], "adoption converges without changes")

    def test_no_packet_lost_across_restarts(self):
        ping = self.h.popen(["ping", "-i", "0.02", "-c", "300", "-W", "1", "203.0.113.2"],
                            stdout=__import__("subprocess").PIPE)
        wait_until(lambda: True, 0.5)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            self.h.stop_weftd(sig)
            self.start()
        out = ping.communicate(timeout=60)[0].decode()
        self.assertIn(" 0% packet loss", out, out)

    def test_foreign_state_survives_everything_and_flush(self):
        self.h.nft("add", "table", "inet", "foreign")
        self.h.nft("add", "chain", "inet", "foreign", "c")
        self.h.ip("rule", "add", "priority", "6050", "to", "10.9.9.0/24", "lookup", "300")
        self.h.ip("route", "add", "10.8.8.0/24", "dev", "eth0", "table", "300")

        def foreign_ok():
            return (self.h.nft("list", "table", "inet", "foreign", check=False).returncode == 0
                    and "6050:" in self.rules() and "10.8.8.0/24" in self.h.ip("route", "show", "table", "300").stdout)
        self.h.write_config("probe.conf", CONF.replace("203.0.113.0/24", "198.51.100.0/24"))
        self.h.weftctl("reload", check=True)
        self.h.ip("rule", "del", "priority", "6000")
        wait_until(lambda: "6000:" in self.rules(), 2)
        self.assertTrue(foreign_ok())
        r = self.h.weftctl("flush")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotEqual(self.h.nft("list", "table", "inet", "weft_probe", check=False).returncode, 0)
        self.assertNotIn("6000:", self.rules())
        self.assertNotIn("default", self.h.ip("route", "show", "table", "300").stdout)
        self.assertTrue(foreign_ok())
        self.h.ip("rule", "del", "priority", "6050")
        self.h.nft("delete", "table", "inet", "foreign")

    def test_flush_removes_only_what_the_record_holds(self):
        # Issue 15 item 12: flush swept every rule and route with weft's protocol (priorities
        # and tables 0..UINT32_MAX) and every table whose comment says "weft:<something>".
        self.h.ip("rule", "add", "priority", "9050", "to", "10.9.9.0/24", "lookup", "400", "protocol", "149")
        self.h.ip("route", "add", "10.8.8.0/24", "dev", "eth0", "table", "400", "proto", "149")
        self.h.nft("add", "table", "inet", "lookalike", '{ comment "weft:elsewhere"; }')
        try:
            self.assertIn("6000:", self.rules())
            r = self.h.weftctl("flush")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("6000:", self.rules(), "the probe's recorded rule is gone")
            self.assertNotEqual(self.h.nft("list", "table", "inet", "weft_probe", check=False).returncode, 0)
            self.assertIn("9050:", self.rules(), "a rule outside every recorded lease survives")
            self.assertIn("10.8.8.0/24", self.h.ip("route", "show", "table", "400").stdout)
            self.assertEqual(self.h.nft("list", "table", "inet", "lookalike", check=False).returncode, 0,
                             "a table weft never recorded survives its comment")
        finally:
            self.h.ip("rule", "del", "priority", "9050", check=False)
            self.h.ip("route", "flush", "table", "400", check=False)
            self.h.nft("delete", "table", "inet", "lookalike", check=False)

    def test_weftd_exit_leaves_state_and_flush_on_stop_removes_it(self):
        self.h.stop_weftd()
        self.assertEqual(self.h.nft("list", "table", "inet", "weft_probe", check=False).returncode, 0)
        self.assertIn("6000:", self.rules())
        self.start("FlushOnStop=yes\n")
        self.h.stop_weftd()
        self.assertNotEqual(self.h.nft("list", "table", "inet", "weft_probe", check=False).returncode, 0)
        self.assertNotIn("6000:", self.rules())


if __name__ == "__main__":
    unittest.main()
