"""The README demo's egress scene: a client's flows out through VPN gateways, one gateway
killed while the others' connections go on, and `weftctl egress` (see harness/egress.py)."""
import time
from collections import Counter

from harness import Testbed
from harness.egress import INET4, Egress


def egress_scene(banner, build, root):
    """Runs the scene on a fresh 6-host testbed; returns True when it went as it should."""
    with Testbed(hosts=6, build_dir=build, source_dir=str(root)) as tb:
        banner("vpn-egress: a client behind h1, three VPN providers (wireguard-go), weights 1:1:2")
        eg = Egress(tb, weights=(1, 1, 2))
        eg.build()
        eg.start_weft()
        eg.all_up()
        print(eg.w.weftctl("egress").stdout, end="")
        flows = eg.flows([{"proto": "tcp", "dst": INET4, "port": 7, "sport": 30000 + i}
                          for i in range(60)])
        spread = Counter(f["via"] for f in flows)
        banner("60 new TCP flows from the client: the exit address the internet host saw")
        for name in ("p1", "p2", "p3"):
            print(f"  {name}: {spread.get(name, 0)} flows")
        held = eg.hold(12, sport=31000)
        before = Counter(eg.by_exit.get(c["exit"]) for c in held.initial)
        banner(f"12 long-lived connections ({dict(before)}); provider p2 is killed")
        eg.provider("p2").kill()
        started = time.monotonic()
        eg.wait_states({"p2": "down"}, timeout=20)
        print(f"  p2 down after {time.monotonic() - started:.1f} s; its buckets moved, its flows cut")
        time.sleep(4)  # the clients of p2 see their reset when they next send
        status = held.status()
        held.close()
        alive = Counter(eg.by_exit.get(c["exit"]) for c in status if not c["error"])
        cut = Counter(eg.by_exit.get(c["exit"]) for c in status if c["error"])
        print(f"  still up: {dict(alive)}; reset: {dict(cut)}")
        after = eg.flows([{"proto": "tcp", "dst": INET4, "port": 7, "sport": 32000 + i}
                          for i in range(30)])
        ok = sum(1 for f in after if f["via"] in ("p1", "p3"))
        print(f"  30 new flows: {ok} through p1 and p3, {len(after) - ok} failed or elsewhere")
        banner("h1: weftctl egress")
        print(eg.w.weftctl("egress").stdout, end="")
        return (ok == len(after) and "p2" not in alive and alive.get("p1", 0) == before.get("p1", 0)
                and alive.get("p3", 0) == before.get("p3", 0))
