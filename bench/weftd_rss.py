#!/usr/bin/env python3
"""Peak RSS of weftd holding 100,000 destination prefixes in fwmark-routing, and the time of the
reload that applies them. Needs root; uses the test harness (one simulated host)."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "net"))
from harness import Testbed  # noqa: E402
from harness.mesh import ROUTING  # noqa: E402


def vm(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    with Testbed(hosts=1) as tb:
        h = tb.hosts[0]
        h.write_config("wireguard-mesh.conf", "[Mesh]\n")
        h.write_config("fwmark-routing.conf", ROUTING)
        h.start_weftd(["wireguard-mesh", "fwmark-routing"])
        pid = int(h.run(["pgrep", "-x", "weftd"]).stdout.split()[0])
        idle = vm(pid, "VmRSS")
        lines = [f"Destinations=100.{64 + n // 65536}.{(n // 256) % 256}.{n % 256}/32" for n in range(0, 200000, 2)]
        h.write_config("fwmark-routing.conf", ROUTING + "\n".join(lines) + "\n")
        t0 = time.monotonic()
        h.weftctl("reload", check=True)
        took = time.monotonic() - t0
        print(f"weftd RSS idle: {idle:.1f} MB")
        print(f"reload applying 100,000 prefixes: {took * 1000:.0f} ms")
        print(f"weftd RSS now: {vm(pid, 'VmRSS'):.1f} MB, peak (VmHWM): {vm(pid, 'VmHWM'):.1f} MB (target < 100 MB)")


if __name__ == "__main__":
    main()
