"""vpn-egress end to end (issue 13): a client C routed through the weft host W, which sends its
internet traffic through three VPN providers P1..P3 to the internet host I (see
harness/egress.py for the topology). The reference is what I sees (the exit address of each
flow) and what crosses the underlay, never weft's own view."""
import json
import os
import signal
import sys
import time
import unittest
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.egress import (CLIENT4, CLIENT6, ECHO, FORWARDED, IFACE, INET4, INET6, OBJECT,  # noqa: E402
                            Egress)
from harness.mesh import processes  # noqa: E402

WEIGHTS = (1, 1, 2)
FAIL_AFTER, INTERVAL = 3, 1.0
BOUND = FAIL_AFTER * INTERVAL + 1  # the bound for new flows after a provider dies
# A TCP segment lost in the dead tunnel is retransmitted with exponential back-off: the reset
# comes with the first retransmission after the failover (at most BOUND after the kill), at
# most one back-off step later (3.2 s at this point of the series 0.2, 0.4, ... s).
RESET_AFTER_DOWN = 3.5
MARK_MASK = 0x00FF0000


def tcp(dst, port=ECHO, **kw):
    return dict(proto="tcp", dst=dst, port=port, **kw)


def udp(dst, port=ECHO, **kw):
    return dict(proto="udp", dst=dst, port=port, **kw)


CONTROL = "192.0.2.15"  # I's underlay address: excluded, so reached without a tunnel


def allowed_on_underlay(p):
    """What W may send or receive on the underlay: WireGuard, the ICMP errors about it from a
    dead provider, neighbour discovery and the control flow to an excluded destination.
    Anything else is client traffic outside a tunnel."""
    if p.proto == "tcp" and CONTROL in (p.src, p.dst) and ECHO in (p.sport, p.dport):
        return True
    if p.proto == "udp":
        return 51820 in (p.sport, p.dport)
    if p.proto == "icmp":
        return "udp port 51820 unreachable" in p.line
    if p.proto == "icmp6":
        return any(k in p.line for k in ("neighbor", "router"))
    return False


class EgressTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=6).__enter__()
        try:
            cls.eg = Egress(cls.tb, weights=WEIGHTS, interval=f"{int(INTERVAL)}s", fail_after=FAIL_AFTER)
            cls.eg.build()
            # Without weft the client's traffic does leak: W routes it out of eth0 to I.
            leak = cls.eg.flows([tcp(INET4), tcp(INET6), udp(INET4)])
            if [f["via"] for f in leak] != ["leak"] * 3:
                raise AssertionError(f"the testbed's leak path does not work: {leak}")
            cls.eg.start_weft()
            cls.eg.all_up()
        except BaseException:
            cls.tb.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def setUp(self):
        if self.eg.w.weftd is None:
            self.eg.start_weftd()
        self.eg.all_up()
        self._holders = []

    def tearDown(self):
        for h in self._holders:
            h.close()
        result = self._outcome.result  # the method's failure is recorded by now (Python 3.11)
        if any(t is self for t, _ in result.errors + result.failures):
            print(f"\n--- W after {self.id()}:\n{self.eg.diagnostics()}", file=sys.stderr)

    # Fixed source ports stay below 32768, the start of the kernel's ephemeral range, so no
    # other connection of the run can hold one of them.
    def hold(self, count, sport):
        """`count` long-lived connections from fixed source ports (so the same buckets each run)."""
        h = self.eg.hold(count, sport=sport)
        self._holders.append(h)
        return h

    def control_flow(self):
        """A flow to an excluded destination: it leaves W by eth0 (masqueraded, no tunnel), so a
        capture of W's underlay port must show it: the capture sees what a leak would be."""
        f = self.eg.flows([tcp(CONTROL)])[0]
        self.assertEqual(f.get("exit"), self.eg.w.addr4, ("Exclude= bypasses the tunnels", f))

    def assert_no_leak(self, cap):
        self.assertTrue([l for l in cap.lines() if f"{CONTROL}.{ECHO}" in l], "the capture saw the control flow")
        self.assertEqual([p.line for p in cap.packets() if not allowed_on_underlay(p)], [],
                         "client traffic outside the tunnels")

    def gateway_of_mark(self):
        return {int(g["mark"], 0) & MARK_MASK: n for n, g in self.eg.gateways().items()}

    def assert_spread(self, via, weights=WEIGHTS, names=("p1", "p2", "p3"), tolerance=0.2):
        counts = Counter(via)
        total = sum(counts.values())
        for name, w in zip(names, weights):
            want = total * w / sum(weights)
            self.assertLessEqual(abs(counts[name] - want), tolerance * want,
                                 f"{name}: {counts[name]} of {total} flows, weight share {want:.0f}: {counts}")

    # ------------------------------------------------------------ balancing
    def test_new_flows_spread_by_weight_and_exit_by_their_gateway(self):
        # Fixed source ports: the same 300 tuples (so the same buckets) on every run.
        spec = ([tcp(INET4, sport=31000 + k) for k in range(150)]
                + [tcp(INET6, sport=31150 + k) for k in range(75)]
                + [udp(INET4, sport=31225 + k) for k in range(75)])
        flows = self.eg.flows(spec)
        self.assertEqual([f for f in flows if f.get("error")], [])
        self.assertEqual({f["via"] for f in flows} - {"p1", "p2", "p3"}, set(), "every exit is a provider")
        self.assert_spread([f["via"] for f in flows])
        # Each flow left by the gateway whose mark its conntrack entry on W carries.
        gw = self.gateway_of_mark()
        marks = {("tcp", 4): self.eg.conntrack_marks("ipv4", "tcp"), ("tcp", 6): self.eg.conntrack_marks("ipv6", "tcp"),
                 ("udp", 4): self.eg.conntrack_marks("ipv4", "udp")}
        wrong = []
        for f in flows:
            mark = marks[(f["proto"], 6 if ":" in f["dst"] else 4)].get(f["sport"])
            if mark is None or gw.get(mark & MARK_MASK) != f["via"]:
                wrong.append((f["proto"], f["dst"], f["sport"], f["via"], mark))
        self.assertEqual(wrong, [], "flows whose exit is not the gateway of their mark")
        # Buckets are shared by weight.
        gws = self.eg.gateways()
        buckets = {n: int(g["buckets"]) for n, g in gws.items()}
        self.assertEqual(sum(buckets.values()), 256)
        for name, w in zip(("p1", "p2", "p3"), WEIGHTS):
            self.assertLessEqual(abs(buckets[name] - 256 * w / sum(WEIGHTS)), 1, buckets)
        self.assertEqual({g["interface"] for g in gws.values()}, {"vpn1", "vpn2", "vpn3"})

    def test_weftctl_egress_shows_the_gateways(self):
        # Loosely: weftctl egress has its own tests; here it only has to show this router's gateways.
        text = self.eg.w.weftctl("egress")
        self.assertEqual(text.returncode, 0, text.stderr)
        for name in ("p1", "p2", "p3", "vpn1", "up"):
            self.assertIn(name, text.stdout)
        js = self.eg.w.weftctl("egress", "--json")
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertIn("p3", json.dumps(json.loads(js.stdout)))

    def test_dns_is_redirected_to_the_resolver_through_a_tunnel(self):
        exits = {self.eg.provider(n).exit4 for n in ("p1", "p2", "p3")}
        for dst in (INET4, "9.9.9.9"):  # the resolver itself, and any other one (redirected)
            answers = self.eg.flows([dict(proto="dns", dst=dst, port=53, timeout=2) for _ in range(10)])
            self.assertEqual([a for a in answers if a.get("error")], [], dst)
            # The resolver answers with the asker's address: a provider's, never W's.
            self.assertLessEqual({a["exit"] for a in answers}, exits, (dst, answers))
        # IPv6 DNS with an IPv4-only DNS= is refused at once.
        v6 = self.eg.flows([dict(proto="dns", dst=INET6, port=53, timeout=2)])[0]
        self.assertIn("error", v6)
        self.assertNotEqual(v6["error"], "TimeoutError", v6)

    # ------------------------------------------------------------ failover
    def test_dead_provider_resets_only_its_flows_and_new_flows_move(self):
        hold = self.hold(30, 23000)
        by_gw = Counter(self.eg.by_exit[c["exit"]] for c in hold.initial)
        self.assertEqual(set(by_gw), {"p1", "p2", "p3"}, by_gw)
        mon = self.eg.monitor()
        time.sleep(0.3)
        dead = self.eg.provider("p2")
        t0, t0_wall = time.monotonic(), time.time()
        dead.kill()
        # New flows: batches of 12 until one succeeds entirely, none through the dead provider.
        first_ok = None
        while time.monotonic() - t0 < BOUND + 6:
            start = time.monotonic()
            batch = self.eg.flows([tcp(INET4, timeout=0.5) for _ in range(12)])
            if all(not f.get("error") and f["via"] in ("p1", "p3") for f in batch):
                first_ok = start - t0
                break
        self.assertIsNotNone(first_ok, "new flows never succeeded after the kill")
        self.assertLessEqual(first_ok, BOUND, "new flows succeed within FailAfter x Interval + 1 s")
        self.eg.wait_states({"p2": "down"}, 5)
        later = self.eg.flows([tcp(INET4, timeout=1) for _ in range(40)])
        self.assertEqual([f for f in later if f.get("error") or f["via"] not in ("p1", "p3")], [])

        on_dead = {c["sport"] for c in hold.initial if self.eg.by_exit[c["exit"]] == "p2"}
        wait_until(lambda: all(c["error"] for c in hold.status() if c["sport"] in on_dead), 10, 0.2,
                   "every connection through the dead provider to fail")
        time.sleep(2)  # the survivors keep talking meanwhile
        status = {c["sport"]: c for c in hold.status()}
        for sport in on_dead:
            c = status[sport]
            self.assertTrue(c["error"].startswith("ConnectionResetError"), c)
            self.assertLessEqual(c["error_at"] - t0_wall, BOUND + RESET_AFTER_DOWN, ("reset promptly", c))
        survivors = [c for s, c in status.items() if s not in on_dead]
        self.assertEqual([c for c in survivors if c["error"] or c["changed"] or (c["stalled"] or 0) > 1], [],
                         "connections through the living providers survive, same exit")
        self.assertTrue(all(time.time() - c["last_ok"] < 1.5 for c in survivors))
        # W's conntrack holds no client flow of the dead gateway any more.
        dead_mark = int(self.eg.gateways()["p2"]["mark"], 0) & MARK_MASK
        self.assertNotIn(dead_mark, {m & MARK_MASK for m in self.eg.conntrack_marks().values()})
        g = self.eg.gateways()["p2"]
        self.assertEqual((g["state"], int(g["buckets"])), ("down", 0))
        mon.kill()
        out = mon.stdout.read().decode()
        self.assertIn("GatewayStateChanged", out)
        self.assertIn('"p2"', out)
        self.assertIn('"down"', out)

    def test_provider_back_takes_back_its_share_with_the_fewest_moves(self):
        before = self.eg.bucket_map()
        self.assertEqual(len(before), 256)
        hold = self.hold(30, 23100)
        on3 = {c["sport"] for c in hold.initial if self.eg.by_exit[c["exit"]] == "p3"}
        self.assertTrue(on3)
        back = self.eg.provider("p3")
        owner3 = {b for b, v in before.items() if v == owner_value(before, self.eg, "p3")}
        back.kill()
        self.eg.wait_states({"p3": "down"}, 10)
        down = self.eg.bucket_map()
        moved = {b for b in before if before[b] != down.get(b)}
        self.assertEqual(moved, owner3, "only the dead gateway's buckets move")
        wait_until(lambda: all(c["error"] for c in hold.status() if c["sport"] in on3), 10, 0.2,
                   "p3's connections to be reset")
        mon = self.eg.monitor()
        time.sleep(0.3)
        back.start()
        self.eg.wait_states({"p3": "up"}, 15)
        after = self.eg.bucket_map()
        returned = {b for b in down if down[b] != after.get(b)}
        p3 = owner_value(before, self.eg, "p3")
        self.assertEqual({after[b] for b in returned}, {p3}, "buckets move only to the returning gateway")
        self.assertEqual(len([b for b in after if after[b] == p3]), len(owner3), "and it gets its share back")
        # Moving buckets back moves no established flow: only p3's were reset (when it died).
        time.sleep(1)
        status = hold.status()
        others = [c for c in status if c["sport"] not in on3]
        self.assertEqual([c for c in others if c["error"] or c["changed"]], [])
        flows = self.eg.flows([udp(INET4, sport=32000 + k) for k in range(60)])
        self.assertEqual([f for f in flows if f.get("error")], [])
        self.assertIn("p3", {f["via"] for f in flows}, "new flows go through p3 again")
        mon.kill()
        out = mon.stdout.read().decode()
        self.assertIn('"p3"', out)
        self.assertIn('"up"', out)

    # ------------------------------------------------------------ kill switch
    def test_no_provider_means_no_leak_and_an_immediate_error(self):
        for p in self.eg.providers:
            p.kill()
        self.eg.wait_states({"p1": "down", "p2": "down", "p3": "down"}, 10)
        with self.tb.capture(iface="h1") as cap:  # W's port on the underlay bridge
            self.control_flow()
            probes = self.eg.flows([tcp(INET4), tcp(INET6), udp(INET4), udp(INET6), tcp("198.51.100.200", 443),
                                    dict(proto="dns", dst=INET4, port=53), dict(proto="dns", dst="9.9.9.9", port=53),
                                    dict(proto="dns", dst=INET6, port=53)])
            pings = [self.eg.client.run(["ping", "-c", "2", "-i", "0.2", "-w", "2", dst], check=False)
                     for dst in (INET4, INET6)]
        for f in probes:
            self.assertIn("error", f, f)
            self.assertNotEqual(f["error"], "TimeoutError", ("an immediate error", f))
            self.assertLess(f["ms"], 1000, f)
        self.assertTrue(all(p.returncode != 0 for p in pings))
        self.assert_no_leak(cap)
        for needle in (CLIENT4, CLIENT6, INET4, INET6, ".53:"):
            self.assertFalse([l for l in cap.lines() if needle in l], needle)
        self.assertEqual({int(g["buckets"]) for g in self.eg.gateways().values()}, {0})

    # ------------------------------------------------------------ port forwarding
    def test_port_forward_reaches_the_service_and_replies_return_by_its_gateway(self):
        p1 = self.eg.provider("p1")

        def from_internet(port, count=20, timeout=3):
            return self.eg.flows([tcp(p1.exit4, port, timeout=timeout) for _ in range(count)], host=self.eg.inet)

        with self.tb.capture(iface="h1") as cap:
            self.control_flow()
            got = from_internet(FORWARDED[0])
        # The service saw the internet host's own address; replies went back through P1 (any
        # other way, masqueraded, would not reach I's connection).
        self.assertEqual([f for f in got if f.get("exit") != self.eg.inet.addr4], [])
        self.assert_no_leak(cap)
        try:
            r = self.eg.w.busctl("call", "org.weft.Weft1", OBJECT, IFACE, "SetForwardedPort", "su", "web",
                                 str(FORWARDED[1]))
            self.assertEqual(r.returncode, 0, r.stderr)
            got = wait_until(lambda: (lambda fs: fs if all(f.get("exit") == self.eg.inet.addr4 for f in fs)
                                      else None)(from_internet(FORWARDED[1], 5, 1)), 5, 0.2, "the new port")
            self.assertEqual(len(got), 5)
            old = from_internet(FORWARDED[0], 3, 1)
            self.assertTrue(all(f.get("error") for f in old), ("the old port is closed", old))
        finally:
            self.eg.w.busctl("call", "org.weft.Weft1", OBJECT, IFACE, "SetForwardedPort", "su", "web",
                             str(FORWARDED[0]))
        bad = self.eg.w.busctl("call", "org.weft.Weft1", OBJECT, IFACE, "SetForwardedPort", "su", "nosuch", "1")
        self.assertNotEqual(bad.returncode, 0)

    # ------------------------------------------------------------ weftd dies
    def test_weftd_sigkill_keeps_flows_and_the_kill_switch(self):
        hold = self.hold(30, 23200)
        before = self.eg.bucket_map()
        self.eg.w.kill_weftd()
        flows = self.eg.flows([tcp(INET4, timeout=2) for _ in range(60)])
        self.assertEqual([f for f in flows if f.get("error") or f["via"] not in ("p1", "p2", "p3")], [])
        # A tunnel dies while nobody is there to mend it: its flows must not take W's default route.
        go = processes(self.eg.w, "wireguard-go -f vpn3")
        self.assertEqual(len(go), 1, "wireguard-go of vpn3 outlives weftd")
        os.kill(go[0], signal.SIGKILL)
        wait_until(lambda: self.eg.w.ip("link", "show", "vpn3", check=False).returncode != 0, 10, 0.1, "vpn3 gone")
        with self.tb.capture(iface="h1") as cap:
            self.control_flow()
            flows = self.eg.flows([tcp(INET4, timeout=2) for _ in range(60)]
                                  + [udp(INET4, timeout=2) for _ in range(20)])
            time.sleep(1)
        self.assertEqual([f for f in flows if f.get("via") not in (None, "p1", "p2")], [], "no exit but p1, p2")
        failed = [f for f in flows if f.get("error")]
        self.assertTrue(failed, "p3's share of new flows has nowhere to go")
        # TCP only: the ICMP errors for UDP are rate limited per client (a burst of 6).
        self.assertEqual([f for f in failed if f["proto"] == "tcp" and (f["error"] == "TimeoutError"
                                                                         or f["ms"] >= 1000)], [],
                         "and fails at once")
        self.assert_no_leak(cap)
        status = hold.status()
        self.assertEqual([c for c in status if self.eg.by_exit[c["exit"]] != "p3" and (c["error"] or c["changed"])],
                         [], "flows on p1 and p2 continue without weftd")
        # weftd comes back, mends vpn3 and changes nothing else.
        self.eg.start_weftd()
        self.eg.all_up()
        self.assertEqual(self.eg.bucket_map(), before, "a restart keeps the bucket owners")
        status = hold.status()
        self.assertEqual([c for c in status if self.eg.by_exit[c["exit"]] != "p3" and c["error"]], [])


def owner_value(owners, eg, name):
    """The value `owners` (a bucket map) gives gateway `name`, found through its mark."""
    mark = int(eg.gateways()[name]["mark"], 0)
    values = set(owners.values())
    for v in values:  # a mark, or (lowered by the core) a jump to the chain setting it
        if f'"{mark}"' in v or f"{mark:08x}" in v or f": {mark}" in v:
            return v
    raise AssertionError(f"no bucket map value for {name} (mark {mark:#x}) in {sorted(values)}")


if __name__ == "__main__":
    unittest.main()
