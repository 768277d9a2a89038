"""tcpdump on the underlay bridge, parsed into simple packet records."""
import re
import signal
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Packet:
    proto: str  # "udp", "tcp", "icmp", "icmp6", "other"
    src: str
    dst: str
    sport: int
    dport: int
    line: str


# "IP 192.0.2.11.51820 > 192.0.2.12.51820: UDP, length 148"
# "IP6 2001:db8::11.40000 > 2001:db8::12.6443: Flags [S], ..."
LINE = re.compile(r"^(?:\S+ )?(IP6?) (\S+) > (\S+?):? (.*)$")


def _split(addr):
    host, _, port = addr.rpartition(".")
    if port.isdigit() and host:
        return host, int(port)
    return addr, 0


def parse(line):
    m = LINE.match(line.strip())
    if not m:
        return None
    _, src, dst, rest = m.groups()
    proto = "other"
    if rest.startswith("UDP") or " UDP" in rest:
        proto = "udp"
    elif rest.startswith("Flags") or "tcp" in rest.lower().split(",")[0]:
        proto = "tcp"
    elif "ICMP6" in rest:
        proto = "icmp6"
    elif "ICMP" in rest:
        proto = "icmp"
    if proto in ("udp", "tcp"):
        s, sp = _split(src)
        d, dp = _split(dst)
    else:
        s, sp, d, dp = src, 0, dst, 0
    return Packet(proto, s, d, sp, dp, line.strip())


class Capture:
    """Context manager: captures on `iface` in netns `ns` until exit; then .packets()."""

    def __init__(self, ns, iface="br0", filter_expr="ip or ip6"):
        self.ns, self.iface, self.filter = ns, iface, filter_expr
        self._lines = []
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "tcpdump", "-i", self.iface, "-nn", "-l", "-U", "-q", "-t"]
            + self.filter.split(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # tcpdump says "listening on" once the capture runs.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if "listening on" in line:
                break
            if not line and self.proc.poll() is not None:
                raise RuntimeError("tcpdump did not start")
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            time.sleep(0.3)  # let the last packets through
            self.proc.send_signal(signal.SIGINT)
            out, _ = self.proc.communicate(timeout=10)
            self._lines = out.splitlines()

    def packets(self):
        return [p for p in (parse(l) for l in self._lines) if p]

    def lines(self):
        return list(self._lines)

    def only_udp_port(self, port):
        """True if every captured IP packet is UDP to or from `port` (and there was at least one)."""
        pk = [p for p in self.packets() if p.proto not in ("icmp6",)]  # NDP is not traffic
        return bool(pk) and all(p.proto == "udp" and port in (p.sport, p.dport) for p in pk)

    def tcp_to_port(self, port):
        return [p for p in self.packets() if p.proto == "tcp" and p.dport == port]

    def udp_port(self, port):
        return [p for p in self.packets() if p.proto == "udp" and port in (p.sport, p.dport)]
