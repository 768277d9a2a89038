"""The vpn-egress topology on a Testbed(hosts=6) (issue 13):

  C (h6) --lan0-- W (h1, weft, vpn-egress) ==wireguard-go==> P1..P3 (h2..h4) --masquerade--> I (h5)

- C, the client: 10.77.0.2/24, fd77::2/64 on its own veth to W (its underlay link is down);
  its default routes go via W.
- W, the weft router: a home router too (default route via the underlay router, masquerade
  out of eth0), so client traffic that escapes the tunnels reaches I: that is the leak the kill
  switch must stop. Its gateway keys are files; weftd runs vpn-egress with one [Gateway pN] per
  provider.
- Pn, the providers: not weft hosts. wireguard-go wg0 (10.64.n.1/24, fd64:n::1/64, port
  51820, peer W's gateway key), masquerade of the tunnel's traffic out of eth0: I sees Pn's
  underlay address (192.0.2.1n, 2001:db8::1n) as the exit. P1 forwards its ports 40001 and
  40002 into the tunnel, to W's tunnel address, as providers do for port forwarding.
- I, the internet: 203.0.113.1 and 2001:db8:ffff::1 on lo with TCP/UDP echo on port 7 (the line
  "whoami" returns the peer address seen) and a resolver on UDP 53. The underlay router
  routes those addresses to I.
"""
import json
import os
import subprocess
import time
from pathlib import Path

from .host import PLUGINS
from .proc import run
from .wait import wait_until

INET4, INET6 = "203.0.113.1", "2001:db8:ffff::1"
ECHO = 7
CLIENT4, CLIENT6 = "10.77.0.2", "fd77::2"
SERVICE_PORT = 8080  # the internal service on C, reached through a port forward
FORWARDED = (40001, 40002)  # ports P1 forwards into its tunnel
OBJECT = "/org/weft/Weft1/plugin/vpn_2degress"
IFACE = "org.weft.Weft1.VpnEgress"
AGENT = str(Path(__file__).resolve().parent / "egress_agent.py")


def genkey():
    private = run(["wg", "genkey"]).stdout.strip()
    return private, run(["wg", "pubkey"], input=private + "\n").stdout.strip()


def write_secret(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    path.chmod(0o600)


def start_agent(host, *args):
    """Starts egress_agent.py on `host` and waits for its "ready"."""
    p = host.popen(["python3", AGENT] + list(args), stdout=subprocess.PIPE)
    if p.stdout.readline().strip() != b"ready":
        raise RuntimeError(f"{host.name}: egress agent {args} did not start")
    return p


class Provider:
    """A VPN provider: wireguard-go plus masquerade towards the internet host."""

    def __init__(self, egress, host, n):
        self.eg, self.host, self.n = egress, host, n
        self.name = f"p{n}"
        self.interface = f"vpn{n}"  # W's side
        self.exit4, self.exit6 = host.addr4, host.addr6
        self.private, self.public = genkey()
        self.key_file = host.dir / "wg.key"
        write_secret(self.key_file, self.private)
        self.wggo = None

    def setup(self):
        h, n, i = self.host, self.n, self.eg.inet
        h.sysctl("net.ipv4.ip_forward", "1")
        h.sysctl("net.ipv6.conf.all.forwarding", "1")
        h.ip("route", "add", f"{INET4}/32", "via", i.addr4)
        h.ip("-6", "route", "add", f"{INET6}/128", "via", i.addr6)
        ports = ", ".join(str(p) for p in FORWARDED)
        forward = f'iifname "eth0" tcp dport {{ {ports} }} dnat ip to 10.64.{n}.2' if n == 1 else ""
        h.run(["nft", "-f", "-"], input=f"""
table inet provider {{
  chain post {{
    type nat hook postrouting priority srcnat
    ip saddr 10.64.{n}.0/24 oifname "eth0" masquerade
    ip6 saddr fd64:{n}::/64 oifname "eth0" masquerade
  }}
  chain pre {{
    type nat hook prerouting priority dstnat
    {forward}
  }}
}}
""")
        self.start()

    def start(self):
        h, n = self.host, self.n
        self.wggo = h.popen(["wireguard-go", "-f", "wg0"])
        wait_until(lambda: h.wg("show", "wg0", check=False).returncode == 0, 10, 0.05,
                   f"{self.name}: wireguard-go answering")
        h.wg("set", "wg0", "private-key", str(self.key_file), "listen-port", "51820", "peer",
             self.eg.w_keys[self.name][1], "allowed-ips", f"10.64.{n}.2/32,fd64:{n}::2/128")
        h.ip("addr", "add", f"10.64.{n}.1/24", "dev", "wg0")
        h.ip("addr", "add", f"fd64:{n}::1/64", "dev", "wg0", "nodad")
        h.ip("link", "set", "wg0", "up")

    def kill(self):
        """The provider goes away: its wireguard-go dies, its tunnel link with it."""
        if self.wggo and self.wggo.poll() is None:
            self.wggo.kill()
            self.wggo.wait(timeout=10)
        self.wggo = None
        self.host.run(["rm", "-f", "/run/wireguard/wg0.sock"])  # SIGKILL leaves it behind
        wait_until(lambda: self.host.ip("link", "show", "wg0", check=False).returncode != 0, 10, 0.05,
                   f"{self.name}: wg0 gone")

    @property
    def alive(self):
        return self.wggo is not None and self.wggo.poll() is None


class Holder:
    """Long-lived TCP connections from C (egress_agent.py hold)."""

    def __init__(self, client, count, dst=INET4, port=ECHO, sport=0):
        env = dict(os.environ, **client.env())
        argv = ["python3", AGENT, "hold", json.dumps({"count": count, "dst": dst, "port": port, "sport": sport})]
        self.p = subprocess.Popen(client.enter() + argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env)
        client._procs.append(self.p)  # killed with the testbed whatever happens
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("hold: " + self.p.stderr.read().decode())
        self.initial = json.loads(line)

    def status(self):
        self.p.stdin.write(b"status\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=5)


class Egress:
    """Builds the topology on `tb` (6 hosts) and runs vpn-egress on W."""

    def __init__(self, tb, weights=(1, 1, 2), interval="1s", fail_after=3, recover_after=3):
        self.tb = tb
        self.w, p1, p2, p3, self.inet, self.client = tb.hosts
        self.weights, self.interval = weights, interval
        self.fail_after, self.recover_after = fail_after, recover_after
        self.key_dir = self.w.root / "etc/weft/vpn-egress"
        self.w_keys = {}
        for n in (1, 2, 3):
            self.w_keys[f"p{n}"] = genkey()
            write_secret(self.key_dir / f"p{n}.key", self.w_keys[f"p{n}"][0])
        self.providers = [Provider(self, h, n) for n, h in enumerate((p1, p2, p3), start=1)]
        self.by_exit = {}
        for p in self.providers:
            self.by_exit[p.exit4] = self.by_exit[p.exit6] = p.name
        self.by_exit[self.w.addr4] = self.by_exit[self.w.addr6] = "leak"

    # ------------------------------------------------------------ topology
    def build(self):
        ul = ["ip", "netns", "exec", self.tb.underlay]
        run(ul + ["ip", "route", "add", f"{INET4}/32", "via", self.inet.addr4])
        run(ul + ["ip", "-6", "route", "add", f"{INET6}/128", "via", self.inet.addr6])
        i = self.inet
        i.ip("addr", "add", f"{INET4}/32", "dev", "lo")
        i.ip("addr", "add", f"{INET6}/128", "dev", "lo")
        start_agent(i, "echo", str(ECHO), INET4, INET6)
        start_agent(i, "dns", INET4, INET6)
        self._build_client()
        self._build_router()
        for p in self.providers:
            p.setup()

    def _build_client(self):
        w, c = self.w, self.client
        run(["ip", "link", "add", "lan0", "netns", w.ns, "type", "veth", "peer", "name", "lan0", "netns", c.ns])
        c.ip("link", "set", "eth0", "down")  # C reaches nothing but W
        for h, a4, a6 in ((w, "10.77.0.1", "fd77::1"), (c, CLIENT4, CLIENT6)):
            h.ip("addr", "add", f"{a4}/24", "dev", "lan0")
            h.ip("addr", "add", f"{a6}/64", "dev", "lan0", "nodad")
            h.ip("link", "set", "lan0", "up")
        c.ip("route", "add", "default", "via", "10.77.0.1")
        c.ip("-6", "route", "add", "default", "via", "fd77::1")
        start_agent(c, "echo", str(SERVICE_PORT))

    def _build_router(self):
        w = self.w
        w.sysctl("net.ipv4.ip_forward", "1")
        w.sysctl("net.ipv6.conf.all.forwarding", "1")
        # A home router: what leaves by eth0 is masqueraded, so a leak would work both ways.
        w.run(["nft", "-f", "-"], input="""
table inet home {
  chain post {
    type nat hook postrouting priority srcnat; oifname "eth0" masquerade
  }
}
""")

    # ------------------------------------------------------------ weft
    def config(self, weights=None, extra_egress=""):
        weights = weights or self.weights
        text = ("[Egress]\nClients=10.77.0.0/24\nClients=fd77::/64\n"
                "Exclude=192.0.2.0/24\nExclude=2001:db8::/64\nExclude=10.77.0.0/24\nExclude=fd77::/64\n"
                f"DNS={INET4}\n{extra_egress}")
        for p, weight in zip(self.providers, weights):
            n = p.n
            text += (f"\n[Gateway {p.name}]\nInterface={p.interface}\n"
                     f"PrivateKeyFile={self.key_dir / (p.name + '.key')}\n"
                     f"Address=10.64.{n}.2/32\nAddress=fd64:{n}::2/128\n"
                     f"PeerPublicKey={p.public}\nPeerEndpoint={p.host.addr4}:51820\nWeight={weight}\n"
                     f"HealthCheck=icmp:{INET4}\nInterval={self.interval}\n"
                     f"FailAfter={self.fail_after}\nRecoverAfter={self.recover_after}\n")
        text += (f"\n[PortForward web]\nGateway=p1\nProtocol=tcp\nPort={FORWARDED[0]}\n"
                 f"To={CLIENT4}:{SERVICE_PORT}\n")
        return text

    def start_weft(self):
        self.w.write_config("vpn-egress.conf", self.config())
        self.start_weftd(["vpn-egress"])

    def start_weftd(self, plugins=None):
        """Starts W's weftd (with `plugins`, or its present weftd.conf) where it finds vpn-egress."""
        extra = [] if "vpn-egress" in PLUGINS else [Path(self.tb.build_dir) / "plugins" / "vpn-egress"]
        self.w.start_weftd(plugins, plugin_dirs=extra)

    def gateways(self):
        """The D-Bus property Gateways: {name: {key: value}}."""
        r = self.w.busctl("--json=short", "get-property", "org.weft.Weft1", OBJECT, IFACE, "Gateways",
                          check=True)
        data = json.loads(r.stdout)["data"]
        return {g["name"]: g for g in data}

    def states(self):
        return {n: g["state"] for n, g in self.gateways().items()}

    def wait_states(self, want, timeout=20, interval=0.1):
        """Waits until every gateway named in `want` is in its state; returns the time it was seen."""
        wait_until(lambda: all(self.states().get(n) == s for n, s in want.items()), timeout, interval,
                   f"gateway states {want} (have {self._safe_states()})")
        return time.monotonic()

    def _safe_states(self):
        try:
            return self.states()
        except Exception as e:  # the message of a failed wait
            return repr(e)

    def all_up(self, timeout=30):
        """Brings every provider back (if a test left one down) and waits for all gateways up."""
        for p in self.providers:
            if not p.alive:
                p.start()
        self.wait_states({p.name: "up" for p in self.providers}, timeout)

    def provider(self, name):
        return next(p for p in self.providers if p.name == name)

    # ------------------------------------------------------------ traffic from C
    def flows(self, spec, timeout=120, host=None):
        """Runs flows on C (or `host`; see egress_agent.py); each result gets `via`, the gateway
        its exit is ("leak" for W's own address, i.e. not through a tunnel)."""
        r = (host or self.client).run(["python3", AGENT, "flows", json.dumps(spec)], timeout=timeout)
        out = json.loads(r.stdout)
        for f in out:
            f["via"] = self.by_exit.get(f.get("exit"), f.get("exit") or None)
        return out

    def hold(self, count, dst=INET4, port=ECHO, sport=0):
        return Holder(self.client, count, dst, port, sport)

    def bucket_map(self):
        """W's bucket map as {bucket: owner value}, read from the kernel."""
        r = self.w.nft("-j", "list", "map", "inet", "weft_vpn_egress", "buckets")
        owners = {}
        for item in json.loads(r.stdout)["nftables"]:
            for key, value in (item.get("map") or {}).get("elem", []):
                if isinstance(key, dict) and "range" in key:
                    keys = range(key["range"][0], key["range"][1] + 1)
                else:
                    keys = [key]
                for k in keys:
                    owners[k] = json.dumps(value, sort_keys=True)
        return owners

    def monitor(self):
        """busctl monitor of GatewayStateChanged on W; kill() it, then read its stdout."""
        return self.w.popen(["busctl", f"--address={self.w.bus_address}", "monitor", "--json=short", "--match",
                             f"type='signal',interface='{IFACE}',member='GatewayStateChanged'"],
                            stdout=subprocess.PIPE)

    def conntrack_marks(self, family="ipv4", proto="tcp"):
        """{client source port: ct mark} of W's conntrack entries from C."""
        src = CLIENT4 if family == "ipv4" else CLIENT6
        r = self.w.run(["conntrack", "-L", "-f", family, "-p", proto, "-s", src], check=False)
        marks = {}
        for line in r.stdout.splitlines():
            fields = {}
            for f in line.split():  # the original tuple comes first, then the reply's
                if "=" in f:
                    fields.setdefault(*f.split("=", 1))
            if "sport" in fields and "mark" in fields:
                marks.setdefault(int(fields["sport"]), int(fields["mark"]))
        return marks

    def diagnostics(self):
        """What W looks like, for a failure message."""
        out = []
        for argv in (["nft", "list", "ruleset"], ["ip", "rule"], ["ip", "-6", "rule"],
                     ["ip", "route", "show", "table", "all"], ["wg", "show"]):
            r = self.w.run(argv, check=False)
            out.append(f"$ {' '.join(argv)}\n{r.stdout}{r.stderr}")
        out.append("weftd log (tail):\n" + "\n".join(self.w.weftd_log().splitlines()[-60:]))
        return "\n".join(out)
