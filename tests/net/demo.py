#!/usr/bin/env python3
"""The README demo: a three-host WireGuard mesh with fwmark steering, then vpn-egress's failover,
then weave-policy's NetworkPolicy on pods, then a mesh that forms through etcd, in network
namespaces."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, clear_leftovers  # noqa: E402
from harness.mesh import form_mesh  # noqa: E402
from demo_egress import egress_scene  # noqa: E402
from demo_policy import policy_scene  # noqa: E402
from demo_cluster import cluster_scene  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def banner(text):
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}")


def main():
    if "--cleanup" in sys.argv:
        clear_leftovers()
        print("demo hosts removed")
        return 0
    keep = "--keep" in sys.argv
    build = os.environ.get("WEFT_BUILD_DIR", str(ROOT / "build"))
    with Testbed(hosts=3, pods_per_host=1, keep=keep, build_dir=build, source_dir=str(ROOT)) as tb:
        banner("starting weftd on 3 hosts, exchanging public keys over D-Bus, weftctl reload")
        keys = form_mesh(tb)
        for h in tb.hosts:
            print(f"  {h.name} ({h.addr4}): {keys[h.name]}")
        h1, h2 = tb.hosts[0], tb.hosts[1]
        for h in tb.hosts:
            banner(f"{h.name}: weftctl status")
            print(h.weftctl("status").stdout, end="")
            print(h.weftctl("mesh").stdout, end="")
        banner("h1: weftctl routes")
        print(h1.weftctl("routes").stdout, end="")
        with tb.capture() as cap:
            banner("h1 -> h2 mesh address 10.99.0.2 (host to host)")
            print(h1.run(["ping", "-c", "3", "-i", "0.2", "10.99.0.2"], check=False).stdout, end="")
            banner(f"pod on h1 ({h1.pods[0].addr4}) -> pod on h2 ({h2.pods[0].addr4}), steered by fwmark")
            print(h1.pods[0].run(["ping", "-c", "3", "-i", "0.2", h2.pods[0].addr4], check=False).stdout, end="")
        banner("what crossed the underlay during the pings (tcpdump on the bridge)")
        pk = [p for p in cap.packets() if p.proto != "icmp6"]
        for p in pk[:12]:
            print("  " + p.line)
        if len(pk) > 12:
            print(f"  ... {len(pk) - 12} more")
        ok = cap.only_udp_port(51820)
        print(f"\n{len(pk)} packets, all WireGuard UDP 51820: {'yes' if ok else 'NO'}")
        if keep:
            print("\n" + tb.describe_entry())
    if keep:
        return 0 if ok else 1
    egress_ok = egress_scene(banner, build, ROOT)
    policy_ok = policy_scene(banner, build, ROOT)
    cluster_ok = cluster_scene(banner, build, ROOT)
    return 0 if ok and egress_ok and policy_ok and cluster_ok else 1


if __name__ == "__main__":
    sys.exit(main())
