"""The testbed: N simulated hosts on an underlay bridge, cleaned up whatever happens."""
import atexit
import os
import secrets
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from .capture import Capture
from .host import Host
from .proc import delete_netns, netns_list, run

PREFIX = "weftt"


def _bed(name):
    """The testbed prefix ("weftt-1a2b3c") of one of its namespaces or temporary directories."""
    return "-".join(name.split("-")[:2])


def _alive(tmp_dir):
    """True if the testbed of `tmp_dir` still runs: its owner process (not us) is alive."""
    try:
        pid = int((tmp_dir / "owner").read_text())
        if pid == os.getpid():
            return False
        os.kill(pid, 0)
        return True
    except (OSError, ValueError):
        return False


def clear_leftovers():
    """Removes namespaces (and everything running in them) left by earlier runs: ours only.
    A testbed whose owner process still runs (another test running meanwhile) is left alone."""
    tmp = Path(tempfile.gettempdir())
    live = {_bed(d.name) for d in tmp.glob(PREFIX + "-*") if _alive(d)}
    for ns in netns_list():
        if ns.startswith(PREFIX + "-") and _bed(ns) not in live:
            delete_netns(ns)
    for d in tmp.glob(PREFIX + "-*"):
        if _bed(d.name) not in live:
            shutil.rmtree(d, ignore_errors=True)


class Testbed:
    """with Testbed(hosts=3, pods_per_host=1) as tb: tb.hosts[0].ping(tb.hosts[1].addr4)"""

    def __init__(self, hosts=3, pods_per_host=0, keep=False, build_dir=None, source_dir=None):
        self.n, self.pods_per_host, self.keep = hosts, pods_per_host, keep
        here = Path(__file__).resolve().parents[3]
        self.source_dir = source_dir or os.environ.get("WEFT_SOURCE_DIR", str(here))
        self.build_dir = build_dir or os.environ.get("WEFT_BUILD_DIR", str(here / "build"))
        self.prefix = f"{PREFIX}-{secrets.token_hex(3)}"
        self.underlay = f"{self.prefix}-ul"
        self.namespaces = []
        self.hosts = []
        self.tmp = None
        self._closed = False

    def __enter__(self):
        clear_leftovers()
        self.tmp = tempfile.mkdtemp(prefix=self.prefix + "-")
        os.chmod(self.tmp, 0o755)
        (Path(self.tmp) / "owner").write_text(str(os.getpid()))
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        if not self.keep:
            self.close()
        return False

    def _on_signal(self, signum, frame):
        self.close()
        sys.exit(128 + signum)

    def _build(self):
        run(["ip", "netns", "add", self.underlay])
        self.namespaces.append(self.underlay)
        ul = ["ip", "netns", "exec", self.underlay]
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "link", "add", "br0", "type", "bridge"],
                    ["ip", "addr", "add", "192.0.2.1/24", "dev", "br0"],
                    ["ip", "addr", "add", "2001:db8::1/64", "dev", "br0", "nodad"],
                    ["ip", "link", "set", "br0", "up"],
                    ["sysctl", "-qw", "net.ipv4.ip_forward=1"],
                    ["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"]):
            run(ul + cmd)
        for i in range(1, self.n + 1):
            h = Host(self, i)
            h.create()
            self.namespaces.append(h.ns)
            self.hosts.append(h)
            run(["ip", "link", "add", "eth0", "netns", h.ns, "type", "veth", "peer", "name", h.name,
                 "netns", self.underlay])
            run(ul + ["ip", "link", "set", h.name, "master", "br0", "up"])
            h.sysctl("net.ipv6.conf.all.accept_dad", "0")
            h.ip("addr", "add", f"{h.addr4}/24", "dev", "eth0")
            h.ip("addr", "add", f"{h.addr6}/64", "dev", "eth0", "nodad")
            h.ip("link", "set", "eth0", "up")
            # Local traffic needs some route in main before nftables can re-route it.
            h.ip("route", "add", "default", "via", "192.0.2.1")
            h.ip("-6", "route", "add", "default", "via", "2001:db8::1")
            h.start_bus(self.source_dir)
            if self.pods_per_host:
                h.add_pods(self.pods_per_host)
                # The underlay routes pod CIDRs to their hosts, as a cluster's routers would.
                run(ul + ["ip", "route", "add", f"10.244.{i}.0/24", "via", h.addr4])
                run(ul + ["ip", "-6", "route", "add", f"fd00:244:{i}::/64", "via", h.addr6])

    def capture(self, filter_expr="ip or ip6", iface="br0"):
        return Capture(self.underlay, iface, filter_expr)

    def close(self):
        if self._closed:
            return
        self._closed = True
        for h in self.hosts:
            h.stop_all()
        for ns in reversed(self.namespaces):
            delete_netns(ns)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def describe_entry(self):
        lines = ["The hosts keep running. Enter one with:"]
        for h in self.hosts:
            lines.append(f"  {h.name}: nsenter -t {h.anchor.pid} -m -n env DBUS_SYSTEM_BUS_ADDRESS={h.bus_address} bash")
        lines.append("Remove them with: ./demo --cleanup")
        return "\n".join(lines)
