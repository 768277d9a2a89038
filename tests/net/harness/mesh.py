"""Forming a weft mesh on a testbed: configs, key exchange, waiting for handshakes."""
import base64
import json
import os
from pathlib import Path

from .proc import run
from .wait import wait_until

ROUTING = "[Route mesh]\nInterface=weft0\nSkipMark=0x51820/0x51820\nDestinations=@wireguard-mesh/targets\n"


def allowed_ips(peer, host_addresses=False):
    j = peer.index
    ips = [f"10.99.0.{j}/32", f"fd00:99::{j}/128", f"10.244.{j}.0/24", f"fd00:244:{j}::/64"]
    if host_addresses:
        ips += [f"{peer.addr4}/32", f"{peer.addr6}/128"]
    return ips


def mesh_config(host, peers, extra="", host_addresses=False, endpoints=None):
    """wireguard-mesh.conf for `host`; peers is a list of (peer host, public key)."""
    i = host.index
    text = (f"[Mesh]\nInterface=weft0\nListenPort=51820\nAddress=10.99.0.{i}/24\nAddress=fd00:99::{i}/64\n"
            f"AdvertisedPrefixes=10.244.{i}.0/24 fd00:244:{i}::/64\nPersistentKeepalive=2s\n{extra}")
    for p, key in peers:
        eps = (endpoints or {}).get(p.name, [f"{p.addr4}:51820"])
        text += f"\n[Peer {p.name}]\nPublicKey={key}\n"
        text += "".join(f"Endpoint={e}\n" for e in eps)
        text += "AllowedIPs=" + " ".join(allowed_ips(p, host_addresses)) + "\n"
    return text


def form_mesh(tb, plugins=("wireguard-mesh", "fwmark-routing"), extra="", host_addresses=False,
              routing=ROUTING, endpoints=None, wait=True):
    """Starts weftd everywhere, exchanges keys through D-Bus, reloads. Returns {name: key}."""
    for h in tb.hosts:
        h.write_config("wireguard-mesh.conf", mesh_config(h, [], extra))
        if "fwmark-routing" in plugins:
            h.write_config("fwmark-routing.conf", routing)
        h.start_weftd(list(plugins))
    keys = {h.name: h.public_key() for h in tb.hosts}
    for h in tb.hosts:
        peers = [(p, keys[p.name]) for p in tb.hosts if p is not h]
        h.write_config("wireguard-mesh.conf", mesh_config(h, peers, extra, host_addresses, endpoints))
        h.weftctl("reload", check=True)
    if wait:
        wait_until(lambda: all(h.weftctl("mesh").stdout.count(" up ") == len(tb.hosts) - 1 for h in tb.hosts),
                   30, 0.5, "every peer to report a handshake")
    return keys


# ---------------------------------------------------------------- inspecting a mesh node
MESH_OBJECT = "/org/weft/Weft1/plugin/wireguard_2dmesh"
MESH_INTERFACE = "org.weft.Weft1.WireguardMesh"


def mesh_call(host, method, signature, *args, check=False):
    """busctl call of a wireguard-mesh method on `host`; returns the CompletedProcess."""
    return host.busctl("call", "org.weft.Weft1", MESH_OBJECT, MESH_INTERFACE, method, signature,
                       *[str(a) for a in args], check=check)


def plugin_status(host, plugin="wireguard-mesh"):
    """The plugin's part of `weftctl describe` (its Describe JSON)."""
    doc = json.loads(host.weftctl("describe", check=True).stdout)
    return next(p for p in doc["plugins"] if p["name"] == plugin)["status"]


def processes(host, needle):
    """PIDs of processes in `host`'s network namespace whose command line contains `needle`
    (pgrep would also see the other simulated hosts: they share the PID namespace)."""
    pids = run(["ip", "netns", "pids", host.ns], check=False).stdout.split()
    found = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if needle in cmdline:
            found.append(int(pid))
    return found


def public_keys(count):
    """`count` distinct WireGuard public keys: real X25519 keys with the cryptography module if
    it is installed, else random 32-byte values (WireGuard takes any as a peer's key)."""
    try:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        def one():
            return X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    except ImportError:
        def one():
            return os.urandom(32)
    return [base64.b64encode(one()).decode() for _ in range(count)]


def silent_peers(count, first=0):
    """[Peer] sections for `count` peers without endpoints (nothing is ever sent to them), each
    with one /32 of 10.200.0.0/16. Returns (config text, {name: key})."""
    keys = {f"quiet{first + i}": k for i, k in enumerate(public_keys(count))}
    text = ""
    for i, (name, key) in enumerate(keys.items(), start=first):
        text += f"\n[Peer {name}]\nPublicKey={key}\nAllowedIPs=10.200.{i // 256}.{i % 256}/32\n"
    return text, keys
