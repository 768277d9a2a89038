#!/usr/bin/env python3
"""Discovery through the cluster store (issue 14): how fast N weft nodes mesh from configs that
name no peer, and how fast a changed key reaches every node (root; build first).

    python3 bench/cluster_bench.py [--nodes 12] [--runs 3] [--changes 20] [--members 1]

* Cold start: every node starts from nothing (no key, no weft0, no record in etcd); all weftds
  are started at once. Reported: the time until every node has N-1 peers in WireGuard (all
  discovered) and until every one of them has handshaken (full mesh), per run.
* Changed key: a node (round robin, never the same twice in a row) is stopped, loses its private
  key and starts again; reported, p50/p99 over the changes: restart -> every other node's
  WireGuard has the new key, and the new record's arrival in etcd (an etcdctl watch) -> every
  node has it, i.e. the store-to-kernel path alone.

The nodes are the testbed's hosts (harness in tests/net), etcd (Debian's, mutual TLS) runs on
the first --members hosts, which are weft nodes too. WireGuard state is read from wireguard-go's
UAPI socket (no process per look), polled every 10 ms.
"""
import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "net"))
from harness import Testbed, wait_until  # noqa: E402
from harness.cluster import MESH_PLUGIN_PREFIX, configure, uapi_peers, wait_full_mesh  # noqa: E402
from harness.etcd import EtcdCluster, Pki  # noqa: E402
from harness.mesh import processes  # noqa: E402


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))]


class KeyWatch:
    """First time (monotonic) each public key was seen: in every node's WireGuard (a polling
    thread) and in etcd (an etcdctl watch on the nodes' records)."""

    def __init__(self, etcd, hosts):
        self.hosts, self.stop = hosts, threading.Event()
        self.in_wg = {}    # (host name, key) -> time
        self.in_etcd = {}  # key -> time
        e = etcd
        self.watch = subprocess.Popen(
            ["ip", "netns", "exec", e.tb.underlay, "env", "ETCDCTL_API=3", "etcdctl",
             "--endpoints=" + ",".join(e.endpoints), "--cacert=" + e.pki.ca, "--cert=" + e.client_cert,
             "--key=" + e.client_key, "watch", "--prefix", MESH_PLUGIN_PREFIX + "nodes/", "-w", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.threads = [threading.Thread(target=self._poll, daemon=True),
                        threading.Thread(target=self._read_watch, daemon=True)]
        for t in self.threads:
            t.start()

    def _poll(self):
        while not self.stop.is_set():
            for h in self.hosts:
                now = time.monotonic()
                for key in (uapi_peers(h) or {}):
                    self.in_wg.setdefault((h.name, key), now)
            time.sleep(0.01)

    def _read_watch(self):
        for line in self.watch.stdout:
            now = time.monotonic()
            try:
                for ev in json.loads(line).get("Events") or []:
                    value = ev["kv"].get("value")
                    if value:
                        key = json.loads(base64.b64decode(value)).get("publicKey")
                        self.in_etcd.setdefault(key, now)
            except (ValueError, KeyError, TypeError):
                continue

    def close(self):
        self.stop.set()
        self.watch.kill()
        self.watch.wait()


class Bench:
    def __init__(self, tb, members):
        self.tb = tb
        self.etcd = EtcdCluster(tb, tb.hosts[:members], Pki(tb)).start()
        for h in tb.hosts:
            configure(h, self.etcd, lease_ttl="10s")

    def wipe(self):
        """Every node back to nothing: weftd stopped, no wireguard-go, no weft0, no state, no key,
        and nothing in etcd under /weft/."""
        for h in self.tb.hosts:
            h.stop_weftd()
            for pid in processes(h, "wireguard-go"):
                h.run(["kill", "-9", str(pid)], check=False)
            h.run(["ip", "link", "del", "weft0"], check=False)
            h.run(["sh", "-c", "rm -rf /var/lib/weft/* /run/wireguard/*"], check=False)
        self.etcd.delete("/weft/", prefix=True)

    def cold_start(self, timeout=180):
        self.wipe()
        hosts, n = self.tb.hosts, len(self.tb.hosts)
        discovered_at, meshed_at = {}, {}
        t0 = time.monotonic()
        for h in hosts:
            h.start_weftd(None, wait=False)
        while len(meshed_at) < n:
            now = time.monotonic()
            if now - t0 > timeout:
                raise RuntimeError(f"no full mesh after {timeout} s: {len(meshed_at)}/{n} nodes complete")
            for h in hosts:
                if h.name in meshed_at:
                    continue
                peers = uapi_peers(h) or {}
                if len(peers) >= n - 1:
                    discovered_at.setdefault(h.name, now)
                    if sum(1 for p in peers.values() if p["handshake"] > 0) >= n - 1:
                        meshed_at[h.name] = now
            time.sleep(0.01)
        return max(discovered_at.values()) - t0, max(meshed_at.values()) - t0

    def changed_keys(self, changes):
        hosts = self.tb.hosts
        keys = wait_full_mesh(hosts, 60)
        watch = KeyWatch(self.etcd, hosts)
        from_restart, from_etcd = [], []
        try:
            for i in range(changes):
                h = hosts[i % len(hosts)]
                h.stop_weftd()
                h.run(["rm", "-f", "/var/lib/weft/wireguard-mesh/private.key"])
                restarted = time.monotonic()
                h.start_weftd(None)
                new = h.public_key()
                assert new != keys[h.name]
                others = [o for o in hosts if o is not h]
                wait_until(lambda: all((o.name, new) in watch.in_wg for o in others), 60, 0.05,
                           f"{h.name}'s new key everywhere")
                last = max(watch.in_wg[(o.name, new)] for o in others)
                from_restart.append(last - restarted)
                if new in watch.in_etcd:
                    from_etcd.append(last - watch.in_etcd[new])
                keys[h.name] = new
                wait_full_mesh(hosts, 60, keys=dict(keys))  # settled before the next change
                print(f"  change {i + 1:2}/{changes} ({h.name}): {from_restart[-1] * 1000:7.1f} ms after the "
                      f"restart, {from_etcd[-1] * 1000 if from_etcd else float('nan'):6.1f} ms after etcd",
                      file=sys.stderr)
        finally:
            watch.close()
        return from_restart, from_etcd


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=12)
    ap.add_argument("--runs", type=int, default=3, help="cold starts")
    ap.add_argument("--changes", type=int, default=20, help="changed keys")
    ap.add_argument("--members", type=int, default=1, help="etcd members (on the first hosts)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("cluster_bench.py needs root (network namespaces)")
    with Testbed(hosts=args.nodes) as tb:
        b = Bench(tb, args.members)
        print(f"{args.nodes} nodes, {args.members} etcd member(s), {os.cpu_count()} CPU(s)\n")
        print("Cold start (all weftds at once) to:")
        print("| run | every node has N-1 peers | every peer handshaken (full mesh) |")
        print("|---|---|---|")
        cold = []
        for r in range(args.runs):
            disc, mesh = b.cold_start()
            cold.append(mesh)
            print(f"| {r + 1} | {disc:.2f} s | {mesh:.2f} s |", flush=True)
        print(f"\nfull mesh median {statistics.median(cold):.2f} s\n")
        restart, etcd = b.changed_keys(args.changes)
        print(f"Changed key to every node's WireGuard, {len(restart)} changes:")
        print("| from | p50 | p99 | max |")
        print("|---|---|---|---|")
        for name, v in (("the node's weftd restart", restart), ("its record's arrival in etcd", etcd)):
            if v:
                print(f"| {name} | {pct(v, 50) * 1000:.0f} ms | {pct(v, 99) * 1000:.0f} ms | {max(v) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
