"""weave-policy's promises beyond the truth tables (issue 12), on the set-up of test_policy.py
(the 9 pods of x, y, z on two hosts joined by the WireGuard mesh, objects over D-Bus):

1. a change that denies a live connection cuts it (bridged and routed), and only that one;
2. a set element, a rule or a chain deleted by hand is put back, and the verdicts with it;
3. a SIGKILLed weftd restarts without a wrong verdict, adopting the table (same handles) and
   its runtime objects (/run/weft);
4. a transaction the kernel refuses (the table claimed by another process while weftd was
   down) leaves the previous policy in force; weft converges once the claim is gone;
5. denied connections show in `weftctl policy drops` and in the counters;
6. seeded random policy sets (harness/netpol_random.py) agree with the model
   (WEFT_POLICY_SEED=<n> replays a run);
7. manifests from weave-policy.d/ files: reload, masking, a bad file refused whole.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import wait_until  # noqa: E402
from harness import netpol_cases as nc  # noqa: E402
from harness.held_connection import EchoServer, HeldConnection  # noqa: E402
from harness.netpol_random import generate  # noqa: E402
from harness.truth_table import Expected, check  # noqa: E402
from test_policy import PolicyCase, policy_call, policy_property  # noqa: E402

TABLE = ("inet", "weft_weave_policy")
HELD_PORT = 9000
CUT_WITHIN = 1.0  # seconds from the policy's Apply to the denied connection's last echo
REPAIRED_WITHIN = 1.5  # seconds from a change by hand to weft's repair
RANDOM_SAMPLES = int(os.environ.get("WEFT_POLICY_SAMPLES", "60"))


# ---------------------------------------------------------------- objects
def netpol(ns, name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def only_from(ns, pod, src_ns, src_pod):
    """Ingress to ns/pod only from src_ns/src_pod."""
    return netpol(ns, f"{pod}-only-from-{src_ns}-{src_pod}", {
        "podSelector": {"matchLabels": {"pod": pod}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": src_ns}},
                               "podSelector": {"matchLabels": {"pod": src_pod}}}]}]})


# Ingress to every pod of x only from pods of x.
SAME_NS = netpol("x", "same-ns", {"podSelector": {}, "policyTypes": ["Ingress"],
                                  "ingress": [{"from": [{"podSelector": {}}]}]})
# No ingress to any pod of x: SAME_NS updated.
DENY_X = netpol("x", "same-ns", {"podSelector": {}, "policyTypes": ["Ingress"]})


def same_ns_expected(names):
    return Expected(names).expect_peer("*", "x/*", False).expect_peer("x/*", "x/*", True)


def deny_x_expected(names):
    return Expected(names).expect_peer("*", "x/*", False)


# ---------------------------------------------------------------- kernel views
def table_text(host, handles=False):
    """The policy table as nft lists it, counter values left out (denied probes move them)."""
    args = ["-a"] if handles else []
    text = host.nft(*args, "list", "table", *TABLE).stdout
    text = re.sub(r"packets \d+ bytes \d+", "packets - bytes -", text)
    return re.sub(r" # progname \S+", "", text)  # who holds the table, not what is in it


def chain_text(host, chain):
    return host.nft("list", "chain", *TABLE, chain).stdout


def flows(host, held):
    """conntrack entries of a held connection in `host`'s network namespace."""
    r = host.run(["conntrack", "-L", "-p", "tcp", "--orig-src", held.src, "--orig-dst", held.dst,
                  "--sport", str(held.sport), "--dport", str(held.server.port)], check=False)
    return [line for line in r.stdout.splitlines() if "dport=" in line]


def plugin_state(host):
    doc = json.loads(host.weftctl("status", "--json", check=True).stdout)
    return next(p for p in doc["plugins"] if p["name"] == "weave-policy")


# Takes ownership of the orphaned (persist) policy table from a netlink socket of its own, and
# holds it until stdin closes: while it does, the kernel refuses every change by anyone else.
CLAIM = r"""
import socket, struct, sys
def msg(mtype, flags, seq, family, res_id, payload=b""):
    body = struct.pack("=BB", family, 0) + struct.pack("!H", res_id) + payload
    return struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body
def attr(t, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
table = attr(1, sys.argv[1].encode() + b"\0") + attr(2, struct.pack("!I", 2 | 4))  # owner|persist
s.send(msg(0x10, 1, 1, 0, 10)                      # batch begin, nf_tables
       + msg(10 << 8, 1 | 4 | 0x400, 2, 1, 0, table)  # NEWTABLE inet: request, ack, create
       + msg(0x11, 1, 3, 0, 10))                    # batch end
data = s.recv(65536)
mtype = struct.unpack_from("=H", data, 4)[0]
err = struct.unpack_from("=i", data, 16)[0] if mtype == 2 else None
print("claimed" if err == 0 else "error %s" % err, flush=True)
sys.stdin.read()
"""


class Behaviour(PolicyCase):
    """Every test starts from the cluster's own objects and no policy (reset)."""

    def setUp(self):
        self.reset(nc.Cluster(self.ips))

    def pod(self, name):
        return self.cluster[name]

    def assert_matrix(self, expected, what, port=80, protocol="TCP", family="v4"):
        result = check(self.cluster, expected, port, protocol, family)
        self.assertEqual(result.wrong, 0, f"\n{what}\n{result.text}")

    def apply_on(self, hosts, objects):
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
        for h in hosts:
            policy_call(h, "Apply", "s", text)
        wait_until(lambda: all(policy_property(h, "Synced") for h in hosts), 5, 0.02, "Synced")

    # ------------------------------------------------------------ 1. cut on deny
    def test_1_denying_a_live_connection_cuts_it_and_only_it(self):
        for path, dst, denied, allowed in (("bridged", "x/b", "x/a", "z/a"),
                                           ("routed", "y/a", "z/c", "x/a")):
            with self.subTest(path):
                self.cut_case(dst, denied, allowed)
                self.reset(nc.Cluster(self.ips))

    def cut_case(self, dst, denied, allowed):
        server = EchoServer(self.pod(dst), HELD_PORT)
        self.addCleanup(server.close)
        cut = HeldConnection(self.pod(denied), server)
        self.addCleanup(cut.close)
        kept = HeldConnection(self.pod(allowed), server)
        self.addCleanup(kept.close)
        cut.wait_connected()
        kept.wait_connected()
        hosts = {h.name: h for h in (self.pod(denied).host, self.pod(dst).host)}.values()
        for h in hosts:
            self.assertTrue(flows(h, cut), f"{h.name} tracks {cut.name} before the change")
        ns, pod = dst.split("/")
        src_ns, src_pod = allowed.split("/")
        t0 = time.monotonic()
        self.apply([only_from(ns, pod, src_ns, src_pod)])
        time.sleep(max(0.0, t0 + CUT_WITHIN + 1.5 - time.monotonic()))
        last = cut.last_echo()
        self.assertLess(last - t0, CUT_WITHIN,
                        f"{cut.name} still echoed {last - t0:.2f}s after the policy denying it")
        self.assertGreaterEqual(kept.echoes_since(t0 + CUT_WITHIN), 10,
                                f"{kept.name}, still allowed, must keep working")
        self.assertIsNone(kept.error, kept.name)
        for h in hosts:
            self.assertEqual(flows(h, cut), [], f"{h.name}: {cut.name}'s conntrack entry is gone")
            self.assertTrue(flows(h, kept), f"{h.name}: {kept.name}'s conntrack entry stays")
        # The cut connection's retransmissions are dropped: nothing comes back later either.
        time.sleep(1.0)
        self.assertEqual(cut.echoes_since(t0 + CUT_WITHIN), 0, f"{cut.name} came back")

    # ------------------------------------------------------------ 2. drift
    def test_2_state_deleted_by_hand_is_put_back(self):
        h = self.pod("x/a").host
        self.apply([SAME_NS])
        expected = same_ns_expected(self.cluster.names)
        addr = self.pod("x/a").addr4
        # Owned (the default): nobody else may change the table at all.
        r = h.nft("delete", "element", *TABLE, "in_dispatch4", "{ %s }" % addr, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Operation not permitted", r.stderr)
        # Not owned: weft watches the table and repairs it.
        conf = h.root / "etc/weft/weftd.conf"
        original = conf.read_text()
        self.addCleanup(self.set_owner_flag, h, original, True)
        self.set_owner_flag(h, original + "NftablesOwnerFlag=no\n", False)
        policy_chain, ns_chain = "in_x/same-ns", "in_ns_x"
        chains = {c: chain_text(h, c) for c in (policy_chain, ns_chain)}

        def element_back():
            return addr in h.nft("list", "map", *TABLE, "in_dispatch4").stdout

        def chains_back():
            try:
                return all(chain_text(h, c) == text for c, text in chains.items())
            except RuntimeError:
                return False  # the chain is not there (yet)

        self.assertTrue(element_back())
        self.repaired(h, f"delete element {' '.join(TABLE)} in_dispatch4 {{ {addr} }}",
                      element_back, "the dispatch element of x/a")
        self.assert_matrix(expected, "after the element's repair")

        handles = re.findall(r"handle (\d+)", h.nft("-a", "list", "chain", *TABLE, policy_chain).stdout)
        self.repaired(h, f'delete rule {" ".join(TABLE)} {policy_chain} handle {handles[-1]}',
                      chains_back, f"the rule of {policy_chain}")
        self.assert_matrix(expected, "after the rule's repair")

        listing = h.nft("-a", "list", "chain", *TABLE, ns_chain).stdout
        jumps = re.findall(rf'jump {re.escape(policy_chain)} .*# handle (\d+)', listing)
        self.assertEqual(len(jumps), 2, listing)  # IPv4 and IPv6
        self.repaired(h, "".join(f'delete rule {" ".join(TABLE)} {ns_chain} handle {j}\n' for j in jumps)
                      + f'delete chain {" ".join(TABLE)} {policy_chain}',
                      chains_back, f"the chain {policy_chain} and its jump")
        self.assert_matrix(expected, "after the chain's repair")

    def repaired(self, h, commands, is_back, what):
        mark = len(h.weftd_log())
        t0 = time.monotonic()
        h.run(["nft", "-f", "-"], input=commands + "\n")
        # weft may repair it before a listing could show it missing: its log says it saw it.
        wait_until(is_back, REPAIRED_WITHIN, 0.02, f"{what} to be put back")
        took = time.monotonic() - t0
        self.assertIn(f"drift: nftables table {TABLE[1]} was changed by someone else", h.weftd_log()[mark:])
        print(f"\n  {what}: put back in {took:.2f}s", end="", file=sys.stderr)
        self.assertLess(took, REPAIRED_WITHIN)

    def set_owner_flag(self, h, conf_text, owned):
        (h.root / "etc/weft/weftd.conf").write_text(conf_text)
        h.weftctl("reload", check=True)
        wait_until(lambda: ("flags owner" in h.nft("list", "table", *TABLE).stdout) == owned, 5, 0.05,
                   f"the table {'with' if owned else 'without'} the owner flag")

    # ------------------------------------------------------------ 3. restart adoption
    def test_3_a_killed_weftd_restarts_without_a_wrong_verdict_and_adopts_the_table(self):
        h = self.pod("x/a").host
        self.apply([SAME_NS])
        # Into x/a on h1: denied bridged and routed, allowed bridged and routed.
        pairs = {("z/a", "x/a"): False, ("y/a", "x/a"): False, ("x/b", "x/a"): True, ("x/c", "x/a"): True}
        for src, _ in pairs:  # z/a and x/b are bridged to x/a, y/a and x/c routed
            self.assertEqual(self.pod(src).host is h, src in ("z/a", "x/b"))
        before_rows = sorted(map(json.dumps, json.loads(policy_call(h, "List", "").stdout)["data"][0]))
        before = table_text(h, handles=True)
        stop = threading.Event()
        results = {pair: [] for pair in pairs}

        def loop(src, dst):
            a, b = self.pod(src), self.pod(dst)
            while not stop.is_set():
                reply = a.agent.request({"cmd": "probe", "proto": "tcp", "timeout": 0.1, "targets": [
                    {"id": 0, "addr": b.addr4, "port": 80, "sport": a.next_port()}]})
                results[(src, dst)].append((time.monotonic(), reply["results"][0]["ok"]))
                time.sleep(0.05)

        threads = [threading.Thread(target=loop, args=pair, daemon=True) for pair in pairs]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            t_kill = time.monotonic()
            h.kill_weftd()
            time.sleep(0.6)  # a window without weftd
            h.start_weftd()
            wait_until(lambda: policy_property(h, "Synced"), 5, 0.02, "Synced after the restart")
            t_up = time.monotonic()
            time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=5)
        print(f"\n  restart took {t_up - t_kill:.2f}s", end="", file=sys.stderr)
        for pair, expected in pairs.items():
            during = [(t, ok) for t, ok in results[pair] if t_kill <= t <= t_up]
            self.assertGreaterEqual(len(during), 2, f"{pair}: probed during the restart")
            wrong = [f"{t - t_kill:+.2f}s" for t, ok in results[pair] if ok != expected]
            self.assertEqual(wrong, [], f"{pair[0]} -> {pair[1]} should be "
                             f"{'allowed' if expected else 'denied'}; wrong at (from the kill)")
        self.assertEqual(table_text(h, handles=True), before, "adopted: the same rules, the same handles")
        after_rows = sorted(map(json.dumps, json.loads(policy_call(h, "List", "").stdout)["data"][0]))
        self.assertEqual(after_rows, before_rows, "the runtime objects came back from /run/weft")
        self.assertIn('"source":"runtime"', "".join(after_rows).replace(" ", ""))

    # ------------------------------------------------------------ 4. refused transaction
    def test_4_a_transaction_the_kernel_refuses_leaves_the_previous_policy(self):
        h = self.pod("x/a").host
        names = self.cluster.names
        self.apply([SAME_NS])
        before = table_text(h)
        h.kill_weftd()
        claim = subprocess.Popen(h.enter() + [sys.executable, "-c", CLAIM, TABLE[1]],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

        def release():
            if claim.poll() is None:
                claim.stdin.close()
                claim.wait(timeout=5)
            claim.stdout.close()

        self.addCleanup(release)
        self.addCleanup(lambda: h.weftd or h.start_weftd())
        self.assertEqual(claim.stdout.readline().strip(), "claimed", "the table was taken over")
        h.start_weftd()
        # The plugin takes the new policy; the kernel refuses it.
        self.apply_on([h], [DENY_X])
        wait_until(lambda: plugin_state(h)["state"] == "failed", 5, 0.1, "the apply to fail")
        state = plugin_state(h)
        self.assertIn("weft_weave_policy", state.get("lastError", ""), state)
        self.assertEqual(table_text(h), before, "the kernel still has the previous policy")
        self.assert_matrix(same_ns_expected(names), "while the kernel refuses the new policy")
        self.assertIsNone(h.weftd.poll(), "weftd keeps running")
        status = h.weftctl("status", check=True).stdout
        self.assertIn("weave-policy", status)
        # The claim ends: the next reconcile adopts the table and converges.
        release()
        h.weftctl("reload", check=True)
        wait_until(lambda: plugin_state(h)["state"] == "running", 5, 0.1, "weave-policy to recover")
        self.assertNotEqual(table_text(h), before)
        self.apply([DENY_X])
        self.assert_matrix(deny_x_expected(names), "after the recovery")

    # ------------------------------------------------------------ 5. drops
    def test_5_denied_connections_show_in_drops_and_counters(self):
        h = self.pod("x/b").host
        deny_egress = netpol("z", "a-no-egress", {"podSelector": {"matchLabels": {"pod": "a"}},
                                                   "policyTypes": ["Egress"]})
        self.apply([SAME_NS, deny_egress])
        before = json.loads(h.weftctl("--json", "policy", check=True).stdout)
        counters = {p: policy_property(h, p) for p in ("DeniedIngress", "DeniedEgress")}
        cases = [("z/c", "x/b", 80, "ingress"), ("z/a", "y/c", 81, "egress")]
        for src, dst, port, _ in cases:
            self.assertIs(self.pod(src).host, h)
            self.assertIs(self.pod(dst).host, h)

        def logged(src, dst, port, direction):
            a, b = self.pod(src), self.pod(dst)
            reply = a.agent.request({"cmd": "probe", "proto": "tcp", "timeout": 0.2, "targets": [
                {"id": 0, "addr": b.addr4, "port": port, "sport": a.next_port()}]})
            self.assertFalse(reply["results"][0]["ok"], f"{src} -> {dst}:{port} is denied")
            rows = json.loads(h.weftctl("--json", "policy", "drops", "50", check=True).stdout)
            return [r for r in rows if (r["sourcePod"], r["destinationPod"], r["port"], r["direction"],
                                        r["protocol"], r["source"], r["destination"])
                    == (src, dst, str(port), direction, "TCP", a.addr4, b.addr4)]

        for case in cases:
            wait_until(lambda: logged(*case), 5, 0.2, f"{case} in weftctl policy drops")
        after = json.loads(h.weftctl("--json", "policy", check=True).stdout)
        self.assertGreater(after["deniedIngress"], before["deniedIngress"])
        self.assertGreater(after["deniedEgress"], before["deniedEgress"])
        self.assertGreater(policy_property(h, "DeniedIngress"), counters["DeniedIngress"])
        self.assertGreater(policy_property(h, "DeniedEgress"), counters["DeniedEgress"])
        text = h.weftctl("policy", "drops", "50", check=True).stdout.splitlines()
        self.assertTrue(any(line.split()[1:] == ["egress", "z/a", "y/c", "TCP", "81"] for line in text[1:]),
                        "\n".join(text))

    # ------------------------------------------------------------ 6. random policy sets
    def test_6_random_policy_sets_agree_with_the_model(self):
        seed = int(os.environ.get("WEFT_POLICY_SEED", str(int(time.time()) % 100000)))
        print(f"\n  random policy sets: WEFT_POLICY_SEED={seed}, {RANDOM_SAMPLES} samples",
              end="", file=sys.stderr)
        previous = []
        policies = probes = 0
        for sample in generate(seed, RANDOM_SAMPLES, self.ips):
            for p in previous:
                for h in self.tb.hosts:
                    policy_call(h, "Delete", "sss", "NetworkPolicy", p["metadata"]["namespace"],
                                p["metadata"]["name"])
            self.apply(sample.objects)
            previous = sample.policies()
            policies += len(previous)
            for probe in sample.probes:
                expected = Expected(self.cluster.names)
                expected.cells = dict(sample.expected(probe))
                family = "v6" if probe.family == 6 else "v4"
                result = check(self.cluster, expected, probe.port, probe.protocol, family, timeout=0.3)
                probes += 1
                self.assertEqual(result.wrong, 0, f"\nWEFT_POLICY_SEED={seed} sample {sample.index} "
                                 f"(policies: {json.dumps(previous)})\n{result.text}")
        print(f" ({policies} policies, {probes} matrices)", end="", file=sys.stderr)
        self.assertGreaterEqual(policies, RANDOM_SAMPLES)

    # ------------------------------------------------------------ 7. manifest files
    def test_7_manifests_from_files(self):
        names = self.cluster.names
        hosts = self.tb.hosts
        deny = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                "metadata:\n  namespace: \"y\"\n  name: deny-all\n"
                "spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n")
        denied_y = Expected(names).expect_peer("*", "y/*", False)
        paths = []

        def put(h, rel, text=None):
            p = h.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if p.is_symlink() or p.exists():
                p.unlink()
            if text is None:
                p.symlink_to("/dev/null")
            else:
                p.write_text(text)
            paths.append(p)

        def reload_all():
            for h in hosts:
                r = h.weftctl("reload")
                self.assertEqual(r.returncode, 0, f"{h.name}: {r.stderr}")
            self.synced()

        def cleanup():
            for p in paths:
                if p.is_symlink() or p.exists():
                    p.unlink()
            for h in hosts:
                h.weftctl("reload")

        self.addCleanup(cleanup)
        etc, usr = "etc/weft/weave-policy.d/deny.yaml", "usr/lib/weft/weave-policy.d/deny.yaml"
        # In /etc: enforced after a reload.
        for h in hosts:
            put(h, etc, deny)
        reload_all()
        rows = json.loads(policy_call(hosts[0], "List", "").stdout)["data"][0]
        row = next(r for r in rows if r["kind"] == "NetworkPolicy")
        self.assertEqual((row["namespace"], row["name"]), ("y", "deny-all"))
        self.assertTrue(row["source"].endswith("weave-policy.d/deny.yaml"), row)
        self.assert_matrix(denied_y, "deny.yaml in /etc/weft")
        # In /usr/lib only: enforced too; masked from /etc by a symlink to /dev/null: gone.
        for h in hosts:
            (h.root / etc).unlink()
            put(h, usr, deny)
        reload_all()
        self.assert_matrix(denied_y, "deny.yaml in /usr/lib/weft")
        for h in hosts:
            put(h, etc)
        reload_all()
        self.assertNotIn("NetworkPolicy", [r["kind"] for r in
                                           json.loads(policy_call(hosts[0], "List", "").stdout)["data"][0]])
        self.assert_matrix(Expected(names), "deny.yaml masked by /etc/weft/weave-policy.d/deny.yaml -> /dev/null")
        # A bad file: the reload fails naming file, document, object and field; nothing changes.
        for h in hosts:
            (h.root / etc).unlink()
        reload_all()
        h = hosts[0]
        table, rows = table_text(h), policy_call(h, "List", "").stdout
        bad = deny.replace("deny-all", "good") + "---\n" + (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata:\n  namespace: \"y\"\n  name: bad\n"
            "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n    - port: 70000\n")
        put(h, "etc/weft/weave-policy.d/bad.yaml", bad)
        r = h.weftctl("reload")
        self.assertNotEqual(r.returncode, 0, "a bad manifest file fails the reload")
        for part in ("bad.yaml", "document 2", "NetworkPolicy y/bad", "spec.ingress[0].ports[1].port", "70000"):
            self.assertIn(part, r.stderr)
        self.assertEqual(table_text(h), table, "the kernel is unchanged")
        self.assertEqual(policy_call(h, "List", "").stdout, rows, "the objects are unchanged")
        self.assertEqual(plugin_state(h)["state"], "running")
        self.assert_matrix(denied_y, "after the refused reload: deny.yaml from /usr/lib/weft still in force")


if __name__ == "__main__":
    unittest.main()
