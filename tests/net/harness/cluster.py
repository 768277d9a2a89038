"""weft nodes that find each other through etcd: configs ([Cluster] in weftd.conf, wireguard-mesh
with `[Discovery] Etcd=yes` and no [Peer]) and what to look at on a node.

    etcd = EtcdCluster(tb, tb.hosts[:3], Pki(tb)).start()
    for h in tb.hosts:
        configure(h, etcd)
    start_all(tb.hosts)
    wait_full_mesh(tb.hosts)

Handshakes are read from wireguard-go's UAPI socket through the host's anchor process
(/proc/PID/root/run/wireguard/weft0.sock): no process per look, so a benchmark may poll often.
"""
import base64
import json
import socket
import time

from .mesh import mesh_config
from .wait import wait_until

LEASE_TTL = "5s"
MESH_PLUGIN_PREFIX = "/weft/wireguard-mesh/"


def cluster_section(host, etcd, lease_ttl=LEASE_TTL, endpoints=None, ca=None, node=None, prefix=None):
    """weftd.conf's [Cluster] for `host`: mutual TLS with its own client certificate."""
    cert, key = etcd.pki.client(host.name)
    text = "[Cluster]\nBackend=etcd\n"
    text += "".join(f"Endpoints={e}\n" for e in (endpoints or etcd.endpoints))
    text += f"TrustedCAFile={ca or etcd.pki.ca}\nCertFile={cert}\nKeyFile={key}\n"
    text += f"NodeName={node or host.name}\nLeaseTTL={lease_ttl}\n"
    if prefix:
        text += f"Prefix={prefix}\n"
    return text


def weftd_conf(host, etcd, plugins=("wireguard-mesh",), **cluster):
    return "[Daemon]\nPlugins=" + " ".join(plugins) + "\n\n" + cluster_section(host, etcd, **cluster)


def discovery_mesh_conf(host, extra="", discovery=""):
    """The usual [Mesh] of harness.mesh (10.99.0.N, fd00:99::N, 10.244.N.0/24 advertised),
    no [Peer], and discovery through the cluster store."""
    return mesh_config(host, [], extra) + "\n[Discovery]\nEtcd=yes\n" + discovery


def configure(host, etcd, plugins=("wireguard-mesh",), mesh_extra="", **cluster):
    host.write_config("weftd.conf", weftd_conf(host, etcd, plugins, **cluster))
    host.write_config("wireguard-mesh.conf", discovery_mesh_conf(host, mesh_extra))


def start_all(hosts, wait=True):
    """Starts weftd on every host at once (none waits for another's READY=1); if `wait`, then
    waits until each answers on D-Bus."""
    for h in hosts:
        h.start_weftd(None, wait=False)
    if wait:
        for h in hosts:
            wait_until(lambda: h.weftctl("status").returncode == 0, 30, 0.2, f"{h.name}'s weftd to answer")


# ---------------------------------------------------------------- looking at a node
def mesh_peers(host):
    """{name: peer} of `weftctl mesh --json`."""
    return {p["name"]: p for p in json.loads(host.weftctl("mesh", "--json", check=True).stdout)["peers"]}


def cluster_status(host):
    """`weftctl cluster --json` as a dict."""
    r = host.weftctl("cluster", "--json")
    if r.returncode != 0:
        raise AssertionError(f"weftctl cluster --json on {host.name} failed: {r.stderr}")
    return json.loads(r.stdout)


def uapi_peers(host, iface="weft0"):
    """{public key (base64): {"handshake": unix secs, "endpoint": str}} from wireguard-go's UAPI
    socket of `host`; None if the socket does not answer (weft0 not up yet)."""
    path = f"/proc/{host.anchor.pid}/root/run/wireguard/{iface}.sock"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(path)
            s.sendall(b"get=1\n\n")
            data = b""
            while not data.endswith(b"\n\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    peers, current = {}, None
    for line in data.decode().splitlines():
        k, _, v = line.partition("=")
        if k == "public_key":
            current = base64.b64encode(bytes.fromhex(v)).decode()
            peers[current] = {"handshake": 0, "endpoint": ""}
        elif current and k == "last_handshake_time_sec":
            peers[current]["handshake"] = int(v)
        elif current and k == "endpoint":
            peers[current]["endpoint"] = v
    return peers


def discovered(host):
    """{name: public key} of the discovered peers `weftctl mesh --json` lists."""
    return {n: p["publicKey"] for n, p in mesh_peers(host).items() if p["source"] == "discovery"}


def meshed(host, others):
    """True if `host` has every one of `others` as a discovered peer with the key `others`
    maps it to, and WireGuard has handshaken with each. `others`: {name: public key}."""
    if discovered(host) != others:
        return False
    wg = uapi_peers(host) or {}
    return all(wg.get(k, {}).get("handshake", 0) > 0 for k in others.values())


def wait_full_mesh(hosts, timeout=30, keys=None):
    """Waits until every host has exactly the others as discovered, handshaken peers. Returns
    {name: public key} (read over D-Bus unless given)."""
    keys = keys or {h.name: h.public_key() for h in hosts}

    def check():
        return all(meshed(h, {n: k for n, k in keys.items() if n != h.name}) for h in hosts)

    try:
        wait_until(check, timeout, 0.5, "every node to discover and handshake with every other")
    except AssertionError as e:
        detail = {h.name: sorted(discovered(h)) for h in hosts}
        raise AssertionError(f"{e}\ndiscovered: {detail}") from None
    return keys


def snapshot(hosts):
    """What must not flap: per host, the discovered peers (name, key) and WireGuard's peer keys."""
    return {h.name: (tuple(sorted(discovered(h).items())), tuple(sorted((uapi_peers(h) or {}).keys())))
            for h in hosts}


def log_since(host, mark):
    return host.weftd_log()[mark:]


def log_mark(host):
    return len(host.weftd_log())


class Sampler:
    """Calls snapshot(hosts) every `interval` s in the caller's own loop: sample() between steps
    and .changes lists every sample that differed from the first."""

    def __init__(self, hosts):
        self.hosts = hosts
        self.first = snapshot(hosts)
        self.count = 1
        self.changes = []

    def sample(self):
        s = snapshot(self.hosts)
        self.count += 1
        if s != self.first:
            self.changes.append((time.monotonic(), {n: v for n, v in s.items() if v != self.first[n]}))

    def for_seconds(self, seconds, interval=0.5):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.sample()
            time.sleep(interval)
