#!/usr/bin/env python3
"""vpn-egress against the kernel's own load balancing, in one run (root; about 2 minutes).

    python3 bench/egress_bench.py [--gateways 2,4,8]

For N = 2, 4 and 8 gateways and 10,000 live UDP flows from a client through a router:
  * weft: weftd with vpn-egress (bucket ownership, ct-mark stickiness);
  * a multipath route (hash-threshold, fib_multipath_hash_policy=1: the 5-tuple);
  * a resilient nexthop group (256 buckets, idle_timer 0).
Gateway 1 dies, then comes back. Reported: the share of live flows that changed gateway on the
death and on the return (the dead gateway's own flows, 1/N, must move on the death; nothing
else should), weft's failover time (death to new TCP connections succeeding), and weftd's CPU
while the client opens 1,000 new flows per second.

Gateways are network namespaces behind veths (unmanaged gateways: Interface= an existing link,
HealthCheck=icmp), so the kernel's routing sees the same links in all three cases.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "net"))
from harness import Testbed, wait_until  # noqa: E402
from harness.proc import delete_netns, run  # noqa: E402

FLOWS = 10000
DST = "203.0.113.1"
BUILD = Path(os.environ.get("WEFT_BUILD_DIR", Path(__file__).resolve().parents[1] / "build"))


class Bench:
    def __init__(self, tb, n):
        self.tb, self.n, self.w = tb, n, tb.hosts[0]
        self.client = f"{tb.prefix}-cl"
        self.gws = [f"{tb.prefix}-g{i}" for i in range(1, n + 1)]
        self.procs = []  # ended with their namespaces (the testbed kills what runs in them)
        for ns in [self.client] + self.gws:
            run(["ip", "netns", "add", ns])
            tb.namespaces.append(ns)
        self.w.sysctl("net.ipv4.ip_forward", "1")
        self.link(self.client, "lan0", "10.77.0.1/24", "10.77.0.2/24")
        self.inns(self.client, "ip route add default via 10.77.0.1")
        for i, g in enumerate(self.gws, 1):
            self.link(g, f"gw{i}", f"10.80.{i}.1/30", f"10.80.{i}.2/30")
            # The "internet" address is on every gateway, so its ARP answers on each link, and
            # a TCP listener there tells whether a new flow got through.
            self.inns(g, f"ip addr add {DST}/32 dev lo")
            self.procs.append(subprocess.Popen(
                ["ip", "netns", "exec", g, "socat", f"TCP-LISTEN:7,bind={DST},fork,reuseaddr",
                 "/dev/null"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def inns(self, ns, cmd):
        return run(["ip", "netns", "exec", ns, "sh", "-c", cmd], timeout=300)

    def link(self, ns, name, mine, theirs):
        run(["ip", "link", "add", name, "netns", self.w.ns, "type", "veth", "peer", "name", "eth0",
             "netns", ns])
        self.w.ip("addr", "add", mine, "dev", name)
        self.w.ip("link", "set", name, "up")
        self.inns(ns, f"ip link set lo up && ip addr add {theirs} dev eth0 && ip link set eth0 up")

    def kill(self, i, up=False):
        self.inns(self.gws[i - 1], f"ip link set eth0 {'up' if up else 'down'}")

    # ------------------------------------------------------------ flows
    def send_flows(self, count=FLOWS, base=20000):
        self.inns(self.client,
                  "python3 -c \"import socket\n"
                  f"for p in range({base}, {base + count}):\n"
                  "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                  "    s.bind(('10.77.0.2', p)); s.sendto(b'x', ('" + DST + "', 9)); s.close()\"")

    def marks(self):
        out = self.w.run(["conntrack", "-L", "-p", "udp", "--dport", "9"], check=False).stdout
        m = {}
        for line in out.splitlines():
            if "sport=" in line and "mark=" in line:
                m[int(line.split("sport=")[1].split()[0])] = int(line.split("mark=")[1].split()[0])
        return m

    def route_devs(self):
        lines = "".join(f"route get {DST} from 10.77.0.2 iif lan0 ipproto udp sport {p} dport 9\n"
                        for p in range(20000, 20000 + FLOWS))
        out = self.w.run(["ip", "-batch", "-"], input=lines, timeout=300).stdout
        return [line.split(" dev ")[1].split()[0] for line in out.splitlines() if " dev " in line]

    # ------------------------------------------------------------ weft
    def weft_config(self):
        gws = "".join(f"[Gateway g{i}]\nInterface=gw{i}\nHealthCheck=icmp:10.80.{i}.2\n"
                      "Interval=500ms\nFailAfter=3\nRecoverAfter=2\n" for i in range(1, self.n + 1))
        self.w.write_config("vpn-egress.conf", "[Egress]\nClients=10.77.0.0/24\nExclude=10.0.0.0/8\n" + gws)

    def gateway_states(self):
        r = self.w.busctl("--json=short", "get-property", "org.weft.Weft1", "/org/weft/Weft1/plugin/vpn_2degress",
                          "org.weft.Weft1.VpnEgress", "Gateways", check=True)
        return {g["name"]: g["state"] for g in json.loads(r.stdout)["data"]}

    def weftd_cpu(self):
        f = Path(f"/proc/{self.w.weftd.pid}/stat").read_text().split(")")[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def start_connector(self, seconds):
        """New TCP connections from the client every 20 ms (fresh source ports): "time ok|no"."""
        code = ("import socket, time\n"
                f"end = time.time() + {seconds}; p = 40000\n"
                "while time.time() < end:\n"
                "    s = socket.socket(); s.settimeout(0.25); s.bind(('10.77.0.2', p)); p += 1\n"
                "    t = time.time()\n"
                "    try:\n        s.connect(('" + DST + "', 7)); ok = 'ok'\n"
                "    except OSError:\n        ok = 'no'\n"
                "    s.close(); print(t, ok, flush=True); time.sleep(0.02)\n")
        return subprocess.Popen(["ip", "netns", "exec", self.client, "python3", "-c", code],
                                stdout=subprocess.PIPE, text=True)

    def run_weft(self):
        self.weft_config()
        self.w.start_weftd(["vpn-egress"])
        wait_until(lambda: set(self.gateway_states().values()) == {"up"}, 15, 0.2, "gateways up")
        self.send_flows()
        before = self.marks()
        connector = self.start_connector(8)
        time.sleep(1)
        t_kill = time.time()
        self.kill(1)
        wait_until(lambda: self.gateway_states()["g1"] == "down", 15, 0.05, "g1 down")
        attempts = [line.split() for line in connector.communicate(timeout=30)[0].splitlines()]
        failed = [float(t) for t, ok in attempts if ok == "no" and float(t) >= t_kill]
        # From the death to the last new connection that failed: after it, every one succeeds.
        failover = (max(failed) + 0.25 - t_kill) if failed else 0.0
        self.send_flows()  # the same 5-tuples again: live flows
        after_death = self.marks()
        self.kill(1, up=True)
        wait_until(lambda: self.gateway_states()["g1"] == "up", 15, 0.05, "g1 up")
        time.sleep(0.3)
        self.send_flows()
        after_return = self.marks()
        g1 = min(before.values())
        moved = sum(after_death.get(p) != m for p, m in before.items())
        wrong = sum(after_death.get(p) != m for p, m in before.items() if m != g1)
        back = sum(after_return.get(p) != after_death.get(p) for p in before)
        # weftd's CPU while the client opens 1,000 new flows a second for 10 s.
        cpu0, t1 = self.weftd_cpu(), time.monotonic()
        for k in range(10):
            self.send_flows(1000, base=50000 + k * 1000)
            time.sleep(max(0, t1 + k + 1 - time.monotonic()))
        cpu = (self.weftd_cpu() - cpu0) / (time.monotonic() - t1)
        self.w.stop_weftd()
        return {"moved": moved / len(before), "others_moved": wrong, "g1_share": sum(m == g1 for m in before.values()) / len(before),
                "back": back / len(before), "failover_s": failover, "cpu": cpu}

    # ------------------------------------------------------------ the kernel's own
    def run_kernel(self, resilient):
        w = self.w
        w.sysctl("net.ipv4.fib_multipath_hash_policy", "1")
        if resilient:
            for i in range(1, self.n + 1):
                w.ip("nexthop", "add", "id", str(i), "dev", f"gw{i}")
            group = "/".join(str(i) for i in range(1, self.n + 1))
            w.ip("nexthop", "add", "id", "100", "group", group, "type", "resilient", "buckets", "256",
                 "idle_timer", "0")
            w.ip("route", "add", "203.0.113.0/24", "nhid", "100", "table", "500")
        else:
            hops = []
            for i in range(1, self.n + 1):
                hops += ["nexthop", "dev", f"gw{i}"]
            w.ip("route", "add", "203.0.113.0/24", "table", "500", *hops)
        w.ip("rule", "add", "iif", "lan0", "lookup", "500", "pref", "100")
        before = self.route_devs()
        # The kernel drops a nexthop whose link went down; both are what a dead gateway does.
        if resilient:
            w.ip("nexthop", "del", "id", "1")
        else:
            w.ip("route", "replace", "203.0.113.0/24", "table", "500",
                 *sum((["nexthop", "dev", f"gw{i}"] for i in range(2, self.n + 1)), []))
        after_death = self.route_devs()
        if resilient:
            w.ip("nexthop", "add", "id", "1", "dev", "gw1")
            w.ip("nexthop", "replace", "id", "100", "group", group, "type", "resilient", "buckets", "256",
                 "idle_timer", "0")
        else:
            w.ip("route", "replace", "203.0.113.0/24", "table", "500", *hops)
        after_return = self.route_devs()
        w.ip("rule", "del", "pref", "100")
        w.ip("route", "del", "203.0.113.0/24", "table", "500")
        if resilient:
            w.ip("nexthop", "flush")
        moved = sum(a != b for a, b in zip(before, after_death))
        others = sum(a != b for a, b in zip(before, after_death) if a != "gw1")
        back = sum(a != b for a, b in zip(after_death, after_return))
        return {"moved": moved / len(before), "others_moved": others, "back": back / len(before)}


def main():
    if os.geteuid() != 0:
        sys.exit("egress_bench: run as root")
    counts = [int(x) for x in (sys.argv[sys.argv.index("--gateways") + 1].split(",")
                               if "--gateways" in sys.argv else ["2", "4", "8"])]
    rows = []
    for n in counts:
        with Testbed(hosts=1) as tb:
            b = Bench(tb, n)
            mp = b.run_kernel(resilient=False)
            rs = b.run_kernel(resilient=True)
            wf = b.run_weft()
            rows.append((n, wf, mp, rs))
            print(f"N={n} done", file=sys.stderr)
    print(f"\n{FLOWS} live UDP flows; gateway 1 dies, then returns. Share of live flows that changed gateway:\n")
    print("| N | ideal (1/N) | weft on death | others moved | weft on return | multipath on death | others moved | multipath on return | resilient on death | others moved | resilient on return |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, wf, mp, rs in rows:
        print(f"| {n} | {1 / n:.1%} | {wf['moved']:.1%} | {wf['others_moved']} | {wf['back']:.1%} | "
              f"{mp['moved']:.1%} | {mp['others_moved']} | {mp['back']:.1%} | "
              f"{rs['moved']:.1%} | {rs['others_moved']} | {rs['back']:.1%} |")
    print("\n| N | weft failover: death to 20 new TCP connections in a row | weftd CPU at 1,000 new flows/s |")
    print("|---|---|---|")
    for n, wf, _, _ in rows:
        print(f"| {n} | {wf['failover_s']:.2f} s (Interval 500ms x FailAfter 3) | {wf['cpu'] * 100:.2f} % of a core |")


if __name__ == "__main__":
    main()
