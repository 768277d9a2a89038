"""The testbed tests itself: reachability, private mounts, capture, cleanup (issue 4)."""
import secrets
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, clear_leftovers, wait_until  # noqa: E402
from harness.proc import netns_list, run  # noqa: E402


def ours():
    return [n for n in netns_list() if n.startswith("weftt-")]


class HarnessTest(unittest.TestCase):
    def test_hosts_and_pods_reach_each_other(self):
        with Testbed(hosts=2, pods_per_host=1) as tb:
            a, b = tb.hosts
            self.assertTrue(a.ping(b.addr4, count=1))
            self.assertTrue(a.ping(b.addr6, count=1))
            self.assertTrue(b.ping(a.addr4, count=1))
            self.assertEqual(a.pods[0].run(["ping", "-c", "1", "-W", "2", "10.244.1.1"], check=False).returncode, 0)
            self.assertFalse(a.ping("192.0.2.99", count=1, timeout=2), "an absent address must not answer")

    def test_mount_namespaces_are_private(self):
        with Testbed(hosts=2) as tb:
            a, b = tb.hosts
            a.sh("echo one > /run/wireguard/marker && echo one > /var/lib/weft/marker")
            self.assertEqual(b.run(["cat", "/run/wireguard/marker"], check=False).returncode, 1)
            self.assertEqual(b.run(["cat", "/var/lib/weft/marker"], check=False).returncode, 1)
            self.assertFalse(Path("/run/wireguard/marker").exists())
            self.assertEqual(a.run(["cat", "/run/wireguard/marker"]).stdout.strip(), "one")

    def test_capture_sees_a_ping(self):
        with Testbed(hosts=2) as tb:
            a, b = tb.hosts
            with tb.capture("icmp") as cap:
                a.ping(b.addr4, count=2)
            lines = [p for p in cap.packets() if p.proto == "icmp"]
            self.assertGreaterEqual(len(lines), 4, cap.lines())
            self.assertFalse(cap.only_udp_port(51820))

    def test_cleanup_after_a_failing_test(self):
        marker = f"300.{secrets.randbelow(10**6):06d}"  # unique: other sleeps on the machine are not ours
        code = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
                "from harness import Testbed\n"
                "with Testbed(hosts=2) as tb:\n"
                f"    tb.hosts[0].popen(['sleep', '{marker}'])\n"
                "    raise SystemExit('failing on purpose')\n")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(ours(), [])
        self.assertEqual(run(["pgrep", "-f", f"sleep {marker}"], check=False).stdout.strip(), "")

    def test_leftovers_are_cleared_and_foreign_namespaces_survive(self):
        run(["ip", "netns", "add", "weftt-stale-h1"])
        stale = subprocess.Popen(["ip", "netns", "exec", "weftt-stale-h1", "sleep", "300"])
        run(["ip", "netns", "add", "other-weft-test"])
        try:
            wait_until(lambda: run(["ip", "netns", "pids", "weftt-stale-h1"]).stdout.strip(), 5)
            clear_leftovers()
            self.assertNotIn("weftt-stale-h1", netns_list())
            self.assertIsNotNone(stale.wait(timeout=5))
            self.assertIn("other-weft-test", netns_list())
        finally:
            run(["ip", "netns", "del", "other-weft-test"], check=False)


if __name__ == "__main__":
    unittest.main()
