"""weftctl policy against weave-policy on one simulated host (issue 12): apply from stdin and
from a file, list, explain, drops, delete, a refused manifest, and the bus interface against
dbus/org.weft.Weft1.WeavePolicy.xml. The expectations are written out here by hand from the
manifest (deny-all ingress in y), not asked of the plugin."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.dbus_xml import interface_members  # noqa: E402

INTERFACE = "org.weft.Weft1.WeavePolicy"
OBJECT = "/org/weft/Weft1/plugin/weave_2dpolicy"
DENY = "deny-all-ingress"

# The testbed's two pods are 10.244.1.2 (pod0) and 10.244.1.3 (pod1): x/a and y/a. x/b and
# y/b exist only as objects.
PODS = {("x", "a"): "10.244.1.2", ("y", "a"): "10.244.1.3", ("x", "b"): "10.244.1.4",
        ("y", "b"): "10.244.1.5"}


def namespace(name):
    return f"""apiVersion: v1
kind: Namespace
metadata:
  name: "{name}"
  labels:
    team: "{name}"
"""


def pod(ns, name, ip, app=None):
    return f"""apiVersion: v1
kind: Pod
metadata:
  namespace: "{ns}"
  name: "{name}"
  labels:
    app: "{app or name}"
spec:
  containers:
  - name: c
    ports:
    - containerPort: 80
      name: http
status:
  phase: Running
  podIPs:
  - ip: {ip}
"""


DENY_ALL = f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  namespace: "y"
  name: {DENY}
spec:
  podSelector: {{}}
  policyTypes: [Ingress]
"""

MANIFEST = "---\n".join([namespace("x"), namespace("y")] +
                        [pod(ns, n, ip) for (ns, n), ip in PODS.items()] + [DENY_ALL])

CREATED = (["namespace x created", "namespace y created"] +
           [f"pod {ns}/{n} created" for ns, n in PODS] + [f"networkpolicy y/{DENY} created"])

# Names are quoted: YAML 1.1 reads a bare y as a boolean, as kubectl would.
# Two bad objects and a good one: nothing of it may be applied.
BAD = "---\n".join([namespace("z"), pod("x", "c", "10.244.1.999"), """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  namespace: x
  name: bad
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 70000
"""])


class PolicyCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=1, pods_per_host=2).__enter__()
        try:
            cls.h = cls.tb.hosts[0]
            cls.h.write_config("weave-policy.conf", "[Enforcement]\nBridge=br-pods\n")
            cls.h.start_weftd(["weave-policy"],
                              plugin_dirs=[Path(cls.tb.build_dir) / "plugins" / "weave-policy"])
        except BaseException:
            cls.tb.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def setUp(self):
        r = self.ctl("policy", "apply", "-f", "-", input=MANIFEST)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.applied = r.stdout.splitlines()

    def tearDown(self):
        # Back to nothing: every runtime object goes (the policy first, the namespaces last).
        for row in reversed(self.list_json()):
            name = row["name"] if row["kind"] == "Namespace" else f"{row['namespace']}/{row['name']}"
            self.ctl("policy", "delete", row["kind"], name, check=True)

    # ------------------------------------------------------------ helpers
    def ctl(self, *args, input=None, check=False):
        r = self.h.run([str(Path(self.tb.build_dir) / "cli" / "weftctl")] + list(args), check=False,
                       input=input)
        if check:
            self.assertEqual(r.returncode, 0, f"weftctl {' '.join(args)}: {r.stderr}")
        return r

    def list_json(self):
        return json.loads(self.ctl("policy", "list", "--json", check=True).stdout)

    def row(self, rows, kind, ns, name):
        found = [r for r in rows if (r["kind"], r["namespace"], r["name"]) == (kind, ns, name)]
        self.assertEqual(len(found), 1, f"{kind} {ns}/{name} in {rows}")
        return found[0]

    def explain(self, src, dst, port="80/tcp"):
        r = self.ctl("--json", "policy", "explain", src, dst, port, check=True)
        return json.loads(r.stdout)

    # ------------------------------------------------------------ apply and list
    def test_apply_from_stdin_prints_one_line_per_object(self):
        self.assertEqual(sorted(self.applied), sorted(CREATED))
        again = self.ctl("policy", "apply", "-f", "-", input=MANIFEST, check=True).stdout
        self.assertEqual(sorted(again.splitlines()),
                         sorted(c.replace(" created", " unchanged") for c in CREATED))

    def test_apply_from_a_file_with_json_anywhere(self):
        path = Path(self.tb.tmp) / "relabel.yaml"
        path.write_text(pod("x", "a", PODS[("x", "a")], app="other") + "---\n" + namespace("x"))
        r = self.ctl("policy", "--json", "apply", "-f", str(path), check=True)
        self.assertEqual(json.loads(r.stdout), [{"action": "updated", "object": "Pod x/a"},
                                                {"action": "unchanged", "object": "Namespace x"}])
        self.assertEqual(self.row(self.list_json(), "Pod", "x", "a")["labels"], "app=other")
        missing = self.ctl("policy", "apply", "-f", str(path) + ".none")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("relabel.yaml.none", missing.stderr)

    def test_list_json_has_every_object_with_its_details(self):
        rows = self.list_json()
        self.assertEqual(len(rows), 2 + len(PODS) + 1)
        self.assertTrue(all(r["source"] == "runtime" for r in rows), rows)
        self.assertEqual(self.row(rows, "Namespace", "", "y")["labels"], "team=y")
        for (ns, name), ip in PODS.items():
            p = self.row(rows, "Pod", ns, name)
            self.assertEqual((p["labels"], p["addresses"]), (f"app={name}", ip))
        policy = self.row(rows, "NetworkPolicy", "y", DENY)
        self.assertEqual((policy["policyTypes"], policy["selectedPods"], policy["ingressRules"]),
                         ("Ingress", "2", "0"))

    def test_list_table(self):
        lines = self.ctl("policy", "list", check=True).stdout.splitlines()
        self.assertEqual(lines[0].split(), ["KIND", "NAMESPACE", "NAME", "SOURCE", "DETAIL"])
        cells = [line.split() for line in lines[1:]]
        self.assertEqual(len(cells), 2 + len(PODS) + 1)
        self.assertIn(["NetworkPolicy", "y", DENY, "runtime", "Ingress,", "selects", "2", "pods"], cells)
        self.assertIn(["Pod", "x", "a", "runtime", "10.244.1.2", "{app=a}"], cells)
        self.assertIn(["Namespace", "-", "x", "runtime", "{team=x}"], cells)

    # ------------------------------------------------------------ explain
    def test_explain_allowed_and_denied_name_the_policy(self):
        ok = self.explain("y/a", "x/b")
        self.assertEqual((ok["verdict"], ok["sourcePod"], ok["destinationPod"]), ("allowed", "y/a", "x/b"))
        self.assertEqual((ok["source"], ok["destination"], ok["protocol"], ok["port"]),
                         ("10.244.1.3", "10.244.1.4", "TCP", "80"))
        self.assertEqual((ok["egressPolicies"], ok["ingressPolicies"]), ("", ""))
        no = self.explain("x/a", "10.244.1.5", "8080/udp")
        self.assertEqual((no["verdict"], no["destinationPod"], no["protocol"], no["port"]),
                         ("denied", "y/b", "UDP", "8080"))
        self.assertEqual(no["ingressPolicies"], f"y/{DENY}")
        self.assertNotEqual(no["explanation"], "")
        text = self.ctl("policy", "explain", "x/a", "y/b", "80", check=True).stdout.splitlines()
        self.assertEqual(text[0], "denied: x/a (10.244.1.2) -> y/b (10.244.1.5) TCP/80")
        self.assertTrue(text[1].strip(), text)  # the explanation, in the plugin's words
        self.assertTrue(text[2].startswith("  egress:  "), text)
        self.assertIn(f"y/{DENY}", text[3])
        self.assertTrue(text[3].startswith("  ingress: "), text)
        self.assertNotIn("\033[", "\n".join(text), "no colour when not on a TTY")
        icmp = self.ctl("policy", "explain", "y/b", "x/a", "icmp", check=True).stdout.splitlines()
        self.assertEqual(icmp[0], "allowed: y/b (10.244.1.5) -> x/a (10.244.1.2) ICMP")

    def test_explain_errors(self):
        unknown = self.ctl("policy", "explain", "x/nope", "y/a", "80")
        self.assertEqual(unknown.returncode, 1)
        self.assertIn("x/nope", unknown.stderr)
        bad = self.ctl("policy", "explain", "x/a", "y/a", "80/gre")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("gre", bad.stderr)
        self.assertEqual(self.ctl("policy", "explain", "x/a", "y/a", "99999").returncode, 1)

    # ------------------------------------------------------------ drops and status
    def test_denied_connection_shows_in_drops_and_counters(self):
        before = json.loads(self.ctl("policy", "--json", check=True).stdout)
        self.assertEqual((before["namespaces"], before["pods"], before["policies"]), (2, 4, 1))
        x_a = self.h.pods[0]
        probe = ("import socket; s = socket.socket(); s.settimeout(0.5)\n"
                 "try: s.connect(('10.244.1.3', 80))\nexcept OSError: pass\n")

        def dropped():
            x_a.run(["python3", "-c", probe], check=False)
            rows = json.loads(self.ctl("policy", "drops", "5", "--json", check=True).stdout)
            return [r for r in rows if r["destination"] == "10.244.1.3" and r["port"] == "80"]

        rows = wait_until(dropped, 15, message="the denied connection in Drops")
        r = rows[0]
        self.assertEqual((r["direction"], r["source"], r["sourcePod"], r["destinationPod"], r["protocol"]),
                         ("ingress", "10.244.1.2", "x/a", "y/a", "TCP"))
        table = self.ctl("policy", "drops", check=True).stdout.splitlines()
        self.assertEqual(table[0].split(), ["TIME", "DIR", "SOURCE", "DESTINATION", "PROTO", "PORT"])
        self.assertEqual(table[1].split()[1:], ["ingress", "x/a", "y/a", "TCP", "80"])
        after = json.loads(self.ctl("policy", "--json", check=True).stdout)
        self.assertGreater(after["deniedIngress"], before["deniedIngress"])
        status = self.ctl("policy", check=True).stdout
        self.assertIn("2 namespaces, 4 pods, 1 network policy", status)

    # ------------------------------------------------------------ delete and refusals
    def test_delete_takes_kubectl_kinds(self):
        r = self.ctl("policy", "delete", "netpol", f"y/{DENY}", check=True)
        self.assertEqual(r.stdout.strip(), f"networkpolicy y/{DENY} deleted")
        self.assertEqual(self.explain("x/a", "y/b")["verdict"], "allowed")
        self.assertNotIn("NetworkPolicy", [row["kind"] for row in self.list_json()])
        gone = self.ctl("policy", "delete", "networkpolicy", f"y/{DENY}")
        self.assertEqual(gone.returncode, 1)
        self.assertIn("not known", gone.stderr)
        self.assertEqual(self.ctl("policy", "delete", "po", "x/b", check=True).stdout.strip(),
                         "pod x/b deleted")
        r = self.ctl("--json", "policy", "delete", "ns", "y", check=True)
        self.assertEqual(json.loads(r.stdout), {"action": "deleted", "object": "Namespace y"})
        wrong = self.ctl("policy", "delete", "service", "x/a")
        self.assertEqual(wrong.returncode, 1)
        self.assertIn("kind", wrong.stderr)

    def test_bad_manifest_names_every_object_and_changes_nothing(self):
        before = self.list_json()
        r = self.ctl("policy", "apply", "-f", "-", input=BAD)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        errors = r.stderr.splitlines()
        pod_line = [l for l in errors if "Pod x/c" in l]
        policy_line = [l for l in errors if "NetworkPolicy x/bad" in l]
        self.assertEqual(len(pod_line), 1, r.stderr)
        self.assertEqual(len(policy_line), 1, r.stderr)
        self.assertIn("status.podIPs[0].ip", pod_line[0])
        self.assertIn("10.244.1.999", pod_line[0])
        self.assertIn("spec.ingress[0].ports[0].port", policy_line[0])
        self.assertEqual(self.list_json(), before)
        empty = self.ctl("policy", "apply", "-f", "-", input="")
        self.assertEqual(empty.returncode, 1)
        self.assertIn("manifest", empty.stderr)

    def test_bad_command_lines(self):
        for args in (["policy", "apply"], ["policy", "apply", "-f"], ["policy", "apply", "-x", "f"],
                     ["policy", "delete", "pod"], ["policy", "drops", "0"], ["policy", "nope"],
                     ["status", "-f"]):
            r = self.ctl(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertTrue(r.stderr.startswith("weftctl: "), (args, r.stderr))

    # ------------------------------------------------------------ D-Bus
    def test_bus_interface_matches_its_introspection_xml(self):
        live = self.h.busctl("--xml-interface", "introspect", "org.weft.Weft1", OBJECT, check=True).stdout
        xml = (Path(self.tb.source_dir) / "dbus" / f"{INTERFACE}.xml").read_text()
        documented = interface_members(xml, INTERFACE)
        self.assertIsNotNone(documented)
        self.assertEqual(interface_members(live, INTERFACE), documented)


if __name__ == "__main__":
    unittest.main()
