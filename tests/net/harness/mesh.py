"""Forming a weft mesh on a testbed: configs, key exchange, waiting for handshakes."""
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
