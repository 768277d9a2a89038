"""The README demo's policy scene: namespaces of pods on a two-host mesh, a NetworkPolicy
applied with `weftctl policy apply -f`, the truth table before and after, and
`weftctl policy explain` for one denied pair."""
from pathlib import Path

from harness import Testbed, wait_until
from harness.mesh import form_mesh
from harness.policy_pods import PolicyCluster
from harness.truth_table import probe_matrix
from test_policy import policy_property

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: only-from-x
  namespace: y
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          ns: x
    ports:
    - port: 80
"""


def table(cluster, observed):
    names = cluster.names
    lines = ["       " + " ".join(n.rjust(4) for n in names)]
    for f in names:
        lines.append(f"  {f:5}" + " ".join(("ok" if observed[(f, t)] else "--").rjust(4) for t in names))
    return "\n".join(lines)


def policy_scene(banner, build, root):
    """Runs the scene on a fresh 2-host testbed; returns True when it went as it should."""
    with Testbed(hosts=2, build_dir=build, source_dir=str(root)) as tb:
        banner("weave-policy: namespaces x, y, z with pods a, b, c on two hosts joined by the mesh")
        for h in tb.hosts:
            h.write_config("weave-policy.conf", "[Enforcement]\nBridge=br-pods\n")
        form_mesh(tb, plugins=("wireguard-mesh", "fwmark-routing", "weave-policy"))
        cluster = PolicyCluster(tb, route=None).build()
        try:
            for h in tb.hosts:
                h.run([str(Path(tb.build_dir) / "cli" / "weftctl"), "policy", "apply", "-f", "-"],
                      input=cluster.manifest())
            wait_until(lambda: all(policy_property(h, "Synced") for h in tb.hosts), 5, 0.02,
                       "weave-policy to hand its table to the kernel")
            h1 = tb.hosts[0]
            print(h1.weftctl("policy").stdout, end="")
            before = probe_matrix(cluster, 80, "TCP")
            banner("TCP port 80, every pod to every pod (rows: from, columns: to)")
            print(table(cluster, before))
            banner("weftctl policy apply -f only-from-x.yaml (on both hosts)")
            print("  " + POLICY.replace("\n", "\n  ").rstrip())
            (Path(tb.tmp) / "only-from-x.yaml").write_text(POLICY)
            for h in tb.hosts:
                out = h.weftctl("policy", "apply", "-f", str(Path(tb.tmp) / "only-from-x.yaml"))
            print(out.stdout, end="")
            wait_until(lambda: all(policy_property(h, "Synced") for h in tb.hosts), 5, 0.02,
                       "weave-policy to hand its table to the kernel")
            after = probe_matrix(cluster, 80, "TCP")
            banner("TCP port 80 again: into y only from x")
            print(table(cluster, after))
            banner("weftctl policy explain z/a y/b 80/tcp")
            print(h1.weftctl("policy", "explain", "z/a", "y/b", "80/tcp").stdout, end="")
            want = {(f, t): t[0] != "y" or f[0] == "x" or f == t for f in cluster.names for t in cluster.names}
            ok = all(before.values()) and all(after[p] == want[p] for p in want if p[0] != p[1])
            print(f"\ntruth table as the policy says: {'yes' if ok else 'NO'}")
            return ok
        finally:
            cluster.close()
