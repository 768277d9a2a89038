"""The cluster of the upstream Kubernetes netpol e2e suite on a Testbed(hosts=2) (issue 12):
namespaces x, y, z with pods a, b, c each, spread over both hosts so that some pairs are
bridged (same host) and others routed (across hosts).

  cluster = PolicyCluster(tb).build()
  cluster["x/a"].addr4, cluster.objects(), cluster.manifest()

Each pod is a network namespace on its host's bridge br-pods (10.244.<host>.1/24,
fd00:244:<host>::1/64, as Host.add_pods and the mesh's AdvertisedPrefixes use) with one IPv4
and one IPv6 address and a policy_agent.py serving TCP/UDP 80 and 81 and recording SCTP INITs.
The hosts reach each other's pod subnets by route_pods_via_underlay(); a mesh test passes its
own `route` function instead.
"""
import importlib.util
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from .proc import run
from .truth_table import probe_matrix
from .wait import wait_until

NAMESPACES = ("x", "y", "z")
POD_NAMES = ("a", "b", "c")
PORTS = (80, 81)
PROTOCOLS = ("TCP", "UDP", "SCTP")
BRIDGE = "br-pods"
# Host index of each pod: every namespace has pods on both hosts.
PLACEMENT = {"x/a": 1, "x/b": 1, "x/c": 2, "y/a": 2, "y/b": 2, "y/c": 1, "z/a": 1, "z/b": 2, "z/c": 1}
AGENT = str(Path(__file__).resolve().parent / "policy_agent.py")
AGENT_START_TIMEOUT = 20
READY_TIMEOUT = 15
# Probes use fixed source ports below 32768, where the kernel's ephemeral range starts: no other
# socket holds them, and no two probes of a run share a conntrack tuple.
FIRST_PROBE_PORT, LAST_PROBE_PORT = 10000, 32767


def agent_python():
    """An interpreter with scapy: this one, else Debian's (python3-scapy installs there)."""
    if importlib.util.find_spec("scapy") is not None:
        return sys.executable
    if Path("/usr/bin/python3").exists():
        return "/usr/bin/python3"
    raise RuntimeError("the policy agent needs python3-scapy")


def pod_names():
    return [f"{ns}/{p}" for ns in NAMESPACES for p in POD_NAMES]


# ---------------------------------------------------------------- the agent of one pod
class Agent:
    """policy_agent.py in a pod's namespace: send() requests to many agents, then recv() each
    reply, so that the agents work in parallel."""

    def __init__(self, netns, log_path):
        self.log = open(log_path, "a")
        self.proc = subprocess.Popen(["ip", "netns", "exec", netns, agent_python(), AGENT],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.buf = b""

    def readline(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError(f"agent {self.proc.args[3]}: no answer in {timeout}s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"agent {self.proc.args[3]} exited ({self.proc.poll()})")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def wait_ready(self, timeout=AGENT_START_TIMEOUT):
        try:
            line = self.readline(timeout)
        except (RuntimeError, TimeoutError) as e:
            line = str(e)
        if line != "ready":
            self.log.flush()
            tail = Path(self.log.name).read_text()[-2000:]
            raise RuntimeError(f"agent {self.proc.args[3]} did not start: {line}\n{tail}")

    def send(self, request):
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()

    def recv(self, timeout=10):
        reply = json.loads(self.readline(timeout))
        if "error" in reply:
            raise RuntimeError(f"agent {self.proc.args[3]}: {reply['error']}")
        return reply

    def request(self, request, timeout=10):
        self.send(request)
        return self.recv(timeout)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send({"cmd": "quit"})
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=5)
        for f in (self.proc.stdin, self.proc.stdout, self.log):
            try:
                f.close()
            except OSError:
                pass  # stdin's last flush to an agent that is gone


# ---------------------------------------------------------------- pods
class PolicyPod:
    def __init__(self, name, host, index):
        self.name = name  # "x/a", as upstream's PodString
        self.namespace, self.pod = name.split("/")
        self.host = host
        self.netns = f"{host.ns}-{self.namespace}-{self.pod}"
        self.veth = f"veth-{self.namespace}-{self.pod}"  # the host's end, a port of br-pods
        self.addr4 = f"10.244.{host.index}.{10 + index}"
        self.addr6 = f"fd00:244:{host.index}::{10 + index}"
        self.agent = None
        self._port = FIRST_PROBE_PORT - 1

    def next_port(self):
        """A source port this pod has not probed from in the last 22,768 probes."""
        self._port = self._port + 1 if self._port < LAST_PROBE_PORT else FIRST_PROBE_PORT
        return self._port

    def addr(self, family="v4"):
        return self.addr6 if family == "v6" else self.addr4

    def ip(self, *args, check=True):
        return run(["ip", "-n", self.netns] + list(args), check=check)

    def run(self, argv, check=True, timeout=30):
        return run(["ip", "netns", "exec", self.netns] + list(argv), check=check, timeout=timeout)

    def __repr__(self):
        return f"PolicyPod({self.name} on {self.host.name}: {self.addr4}, {self.addr6})"


def setup_bridge(host, bridge=BRIDGE):
    """The host's pod bridge with the pods' gateway addresses; the host forwards."""
    i = host.index
    host.sysctl("net.ipv4.ip_forward", "1")
    host.sysctl("net.ipv6.conf.all.forwarding", "1")
    run(["ip", "-n", host.ns, "-batch", "-"], input=(
        f"link add {bridge} type bridge\n"
        f"addr add 10.244.{i}.1/24 dev {bridge}\n"
        f"addr add fd00:244:{i}::1/64 dev {bridge} nodad\n"
        f"link set {bridge} up\n"))


def add_pod(pod, bridge=BRIDGE):
    """The pod's namespace, its veth on the bridge, its addresses and default routes. The
    namespace is registered with the testbed, which removes it (and its agent) on close."""
    h, i = pod.host, pod.host.index
    run(["ip", "netns", "add", pod.netns])
    h.bed.namespaces.append(pod.netns)
    pod.run(["sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"])
    run(["ip", "-n", h.ns, "-batch", "-"], input=(
        f"link add {pod.veth} type veth peer name eth0 netns {pod.netns}\n"
        f"link set {pod.veth} master {bridge} up\n"))
    run(["ip", "-n", pod.netns, "-batch", "-"], input=(
        "link set lo up\n"
        f"addr add {pod.addr4}/24 dev eth0\n"
        f"addr add {pod.addr6}/64 dev eth0 nodad\n"
        "link set eth0 up\n"
        f"route add default via 10.244.{i}.1\n"
        f"route add default via fd00:244:{i}::1\n"))


def route_pods_via_underlay(tb):
    """Each host routes the other hosts' pod subnets to them over the underlay (a flat L2)."""
    for h in tb.hosts:
        for o in tb.hosts:
            if o is not h:
                h.ip("route", "add", f"10.244.{o.index}.0/24", "via", o.addr4)
                h.ip("-6", "route", "add", f"fd00:244:{o.index}::/64", "via", o.addr6)


class PolicyCluster:
    """The 9 pods on the testbed's hosts. cluster["x/a"] is a PolicyPod; iterating gives the
    pods in upstream's order (x/a, x/b, ..., z/c)."""

    def __init__(self, tb, placement=None, route=route_pods_via_underlay, bridge=BRIDGE):
        self.tb, self.route, self.bridge = tb, route, bridge
        placement = placement or PLACEMENT
        self.pods = [PolicyPod(n, tb.hosts[placement[n] - 1], k) for k, n in enumerate(pod_names())]
        self.by_name = {p.name: p for p in self.pods}
        self.names = [p.name for p in self.pods]

    def __getitem__(self, name):
        return self.by_name[name]

    def __iter__(self):
        return iter(self.pods)

    def __len__(self):
        return len(self.pods)

    def hosts(self):
        return sorted({p.host for p in self.pods}, key=lambda h: h.index)

    def build(self):
        for h in self.hosts():
            setup_bridge(h, self.bridge)
        for p in self.pods:
            add_pod(p, self.bridge)
        if self.route:
            self.route(self.tb)
        self.start_agents()
        self.wait_reachable()
        return self

    def wait_reachable(self, timeout=READY_TIMEOUT):
        """Waits until every pair connects on TCP 81 over IPv4 and IPv6 (as upstream's
        waitForHTTPServers before a test): neighbour tables are warm and the paths work."""
        for family in ("v4", "v6"):
            blocked = []

            def reachable():
                observed = probe_matrix(self, 81, "TCP", family, retries=0)
                blocked[:] = [pair for pair, ok in observed.items() if not ok]
                return not blocked

            try:
                wait_until(reachable, timeout, 0.2, f"every pod pair to connect on TCP 81 {family}")
            except AssertionError as e:
                raise AssertionError(f"{e}; still blocked: {blocked}") from None

    def start_agents(self):
        log_dir = Path(self.tb.tmp) / "policy-agents"
        log_dir.mkdir(exist_ok=True)
        for p in self.pods:
            p.agent = Agent(p.netns, log_dir / f"{p.namespace}-{p.pod}.log")
        for p in self.pods:
            p.agent.wait_ready()

    def close(self):
        for p in self.pods:
            if p.agent:
                p.agent.close()
                p.agent = None

    # ------------------------------------------------------------ Kubernetes objects
    def objects(self):
        """Namespaces x, y, z and the 9 pods, as the API server would give them."""
        return [namespace_object(ns) for ns in NAMESPACES] + [pod_object(p) for p in self.pods]

    def manifest(self, fmt="yaml"):
        return render_manifest(self.objects(), fmt)


def namespace_object(name, labels=None):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name,
                         "labels": labels or {"ns": name, "kubernetes.io/metadata.name": name}}}


def container(port, protocol):
    """One container per port and protocol, named as upstream's netpol kubemanager names them."""
    p = protocol.lower()
    return {"name": f"cont-{port}-{p}", "image": "registry.k8s.io/e2e-test-images/agnhost:2.43",
            "ports": [{"name": f"serve-{port}-{p}", "containerPort": port, "protocol": protocol}]}


def pod_object(pod, labels=None):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod.pod, "namespace": pod.namespace, "labels": labels or {"pod": pod.pod}},
            "spec": {"nodeName": pod.host.name,
                     "containers": [container(port, proto) for port in PORTS for proto in PROTOCOLS]},
            "status": {"phase": "Running", "hostIP": pod.host.addr4, "podIP": pod.addr4,
                       "podIPs": [{"ip": pod.addr4}, {"ip": pod.addr6}]}}


def render_manifest(objects, fmt="yaml"):
    """Manifest text: multi-document YAML, or JSON (a `kind: List`)."""
    if fmt == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}, indent=2) + "\n"
    import yaml  # python3-yaml; only this format needs it

    return yaml.safe_dump_all(list(objects), sort_keys=False, explicit_start=True)
