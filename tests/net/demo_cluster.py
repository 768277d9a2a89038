"""The README demo's cluster scene: three hosts whose configs name no peer find each other through
etcd (mutual TLS, on h1), then h3 loses its key, restarts and is a peer again (harness/cluster.py)."""
import time

from harness import Testbed, wait_until
from harness.cluster import configure, mesh_peers, start_all, wait_full_mesh
from harness.etcd import EtcdCluster, Pki


def cluster_scene(banner, build, root):
    """Runs the scene on a fresh 3-host testbed; returns True when it went as it should."""
    with Testbed(hosts=3, build_dir=build, source_dir=str(root)) as tb:
        h1, h2, h3 = tb.hosts
        banner("cluster store: etcd (TLS) on h1; wireguard-mesh with [Discovery] Etcd=yes, no [Peer]")
        etcd = EtcdCluster(tb, [h1], Pki(tb)).start()
        for h in tb.hosts:
            configure(h, etcd)
        started = time.monotonic()
        start_all(tb.hosts)
        wait_full_mesh(tb.hosts, timeout=30)
        print(f"  full mesh (every node handshaken with both others) after "
              f"{time.monotonic() - started:.1f} s")
        # weftctl shows the plugin's view, refreshed every second.
        wait_until(lambda: all(p["state"] == "up" for p in mesh_peers(h1).values()), 5, 0.2,
                   "h1 to see both peers up")
        banner("h1: weftctl cluster")
        print(h1.weftctl("cluster").stdout, end="")
        banner("h1: weftctl mesh (SOURCE discovery)")
        print(h1.weftctl("mesh").stdout, end="")

        banner("h3 loses its private key and restarts")
        old = h3.public_key()
        h3.stop_weftd()
        h3.run(["rm", "/var/lib/weft/wireguard-mesh/private.key"])
        restarted = time.monotonic()
        h3.start_weftd(None)
        new = h3.public_key()

        def h1_knows_new_key():
            return new in h1.weftctl("mesh", "--json").stdout and h1.ping("10.99.0.3", count=1, timeout=2)

        wait_until(h1_knows_new_key, 10, 0.1, "h1 to reach h3 under its new key")
        print(f"  old key {old}\n  new key {new}")
        print(f"  h1 pings h3 over the mesh again {time.monotonic() - restarted:.1f} s after the restart")
        ok = old != new and h2.ping("10.99.0.3", count=1, timeout=20)
        print(f"\nmesh formed and healed through etcd, no peer in any config: {'yes' if ok else 'NO'}")
        return ok
