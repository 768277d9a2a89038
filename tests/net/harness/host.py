"""One simulated host: a network namespace plus a mount namespace (held by an anchor process)
with private /run/wireguard, /run/weft and /var/lib/weft, its own dbus-daemon and weftd."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from .busconf import bus_config
from .proc import run
from .wait import wait_until

PRIVATE_DIRS = ["/run/wireguard", "/run/weft", "/var/lib/weft"]
PLUGINS = ["wireguard-mesh", "fwmark-routing", "exemption-rules", "vpn-egress", "weave-policy"]


class Pod:
    def __init__(self, ns, addr4, addr6):
        self.ns, self.addr4, self.addr6 = ns, addr4, addr6

    def run(self, argv, check=True, timeout=30):
        return run(["ip", "netns", "exec", self.ns] + argv, check=check, timeout=timeout)


class Host:
    def __init__(self, bed, index):
        self.bed, self.index = bed, index
        self.name = f"h{index}"
        self.ns = f"{bed.prefix}-{self.name}"
        self.addr4 = f"192.0.2.{10 + index}"
        self.addr6 = f"2001:db8::{10 + index}"
        self.dir = Path(bed.tmp) / self.name
        self.root = self.dir / "root"
        (self.root / "etc/weft").mkdir(parents=True)
        os.chmod(self.dir, 0o755)
        self.bus_path = self.dir / "bus"
        self.bus_address = f"unix:path={self.bus_path}"
        self.anchor = None
        self.dbus = None
        self.weftd = None
        self.pods = []
        self._procs = []

    # ------------------------------------------------------------ setup
    def create(self):
        run(["ip", "netns", "add", self.ns])
        for d in PRIVATE_DIRS:
            Path(d).mkdir(parents=True, exist_ok=True)
        mounts = " && ".join(f"mount -t tmpfs -o mode=0755 weftt {d}" for d in PRIVATE_DIRS)
        self.anchor = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "--mount", "--propagation", "private", "sh", "-c",
             f"{mounts} && echo ready && exec sleep infinity"],
            stdout=subprocess.PIPE, text=True)
        if self.anchor.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{self.name}: mount namespace setup failed")
        self.ip("link", "set", "lo", "up")

    def start_bus(self, source_dir):
        conf = self.dir / "bus.conf"
        conf.write_text(bus_config(self.bus_path, Path(source_dir) / "dbus" / "org.weft.Weft1.conf"))
        self.dbus = self.popen(["dbus-daemon", "--config-file", str(conf), "--nofork", "--nopidfile"])
        wait_until(lambda: self.bus_path.exists(), 10, message=f"{self.name} dbus socket")

    def add_pods(self, count):
        i = self.index
        self.ip("link", "add", "br-pods", "type", "bridge")
        self.ip("addr", "add", f"10.244.{i}.1/24", "dev", "br-pods")
        self.ip("addr", "add", f"fd00:244:{i}::1/64", "dev", "br-pods", "nodad")
        self.ip("link", "set", "br-pods", "up")
        self.sysctl("net.ipv4.ip_forward", "1")
        self.sysctl("net.ipv6.conf.all.forwarding", "1")
        for j in range(count):
            ns = f"{self.ns}p{j}"
            a4, a6 = f"10.244.{i}.{2 + j}", f"fd00:244:{i}::{2 + j}"
            run(["ip", "netns", "add", ns])
            run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
            run(["ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", f"pod{j}", "netns", self.ns])
            self.ip("link", "set", f"pod{j}", "master", "br-pods", "up")
            for cmd in (["ip", "addr", "add", f"{a4}/24", "dev", "eth0"],
                        ["ip", "addr", "add", f"{a6}/64", "dev", "eth0", "nodad"],
                        ["ip", "link", "set", "eth0", "up"],
                        ["ip", "route", "add", "default", "via", f"10.244.{i}.1"],
                        ["ip", "-6", "route", "add", "default", "via", f"fd00:244:{i}::1"]):
                run(["ip", "netns", "exec", ns] + cmd)
            self.pods.append(Pod(ns, a4, a6))
            self.bed.namespaces.append(ns)

    # ------------------------------------------------------------ commands
    def enter(self):
        return ["nsenter", "-t", str(self.anchor.pid), "-m", "-n", "--"]

    def env(self):
        return {"DBUS_SYSTEM_BUS_ADDRESS": self.bus_address, "NO_COLOR": "1"}

    def run(self, argv, check=True, timeout=60, input=None):
        return run(self.enter() + list(argv), check=check, timeout=timeout, env=self.env(), input=input)

    def sh(self, cmdline, check=True, timeout=60):
        return self.run(["sh", "-c", cmdline], check=check, timeout=timeout)

    def popen(self, argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=None):
        e = dict(os.environ)
        e.update(self.env())
        e.update(env or {})
        p = subprocess.Popen(self.enter() + list(argv), stdout=stdout, stderr=stderr, env=e)
        self._procs.append(p)
        return p

    def ip(self, *args, check=True):
        return self.run(["ip"] + list(args), check=check)

    def nft(self, *args, check=True):
        return self.run(["nft"] + list(args), check=check)

    def wg(self, *args, check=True):
        return self.run(["wg"] + list(args), check=check)

    def sysctl(self, key, value):
        self.run(["sysctl", "-qw", f"{key}={value}"])

    def weftctl(self, *args, check=False):
        return self.run([str(Path(self.bed.build_dir) / "cli" / "weftctl")] + list(args), check=check)

    def busctl(self, *args, check=False):
        return self.run(["busctl", f"--address={self.bus_address}"] + list(args), check=check)

    def write_config(self, relpath, text):
        path = self.root / "etc/weft" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def ping(self, dst, count=3, timeout=10, source=None):
        argv = ["ping", "-c", str(count), "-i", "0.2", "-W", "1", "-w", str(timeout)]
        if source:
            argv += ["-I", source]
        return self.run(argv + [dst], check=False, timeout=timeout + 5).returncode == 0

    # ------------------------------------------------------------ weftd
    def start_weftd(self, plugins=None, extra_args=(), env=None, plugin_dirs=(), wait=True):
        if plugins is not None:
            self.write_config("weftd.conf", "[Daemon]\nPlugins=" + " ".join(plugins) + "\n")
        build = Path(self.bed.build_dir)
        args = [str(build / "daemon" / "weftd"), "--root", str(self.root), "--log-level", "debug"]
        for p in PLUGINS:
            args += ["--plugin-dir", str(build / "plugins" / p)]
        for d in plugin_dirs:
            args += ["--plugin-dir", str(d)]
        notify = self.dir / "notify"
        if notify.exists():
            notify.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(notify))
        sock.settimeout(30)
        self.log_path = self.dir / "weftd.log"
        # The child keeps its own descriptors; ours is closed at once (no leaked handle).
        with open(self.log_path, "a") as log:
            self.weftd = self.popen(args + list(extra_args), stdout=log, stderr=log,
                                    env=dict(env or {}, NOTIFY_SOCKET=str(notify)))
        try:
            if wait:
                while True:
                    msg = sock.recv(4096).decode()
                    if "READY=1" in msg:
                        break
        finally:
            sock.close()
        return self.weftd

    def stop_weftd(self, sig=signal.SIGTERM):
        if self.weftd and self.weftd.poll() is None:
            self.weftd.send_signal(sig)
            self.weftd.wait(timeout=15)
        self.weftd = None

    def kill_weftd(self):
        self.stop_weftd(signal.SIGKILL)

    def weftd_log(self):
        return self.log_path.read_text() if getattr(self, "log_path", None) and self.log_path.exists() else ""

    def public_key(self):
        r = self.busctl("get-property", "org.weft.Weft1", "/org/weft/Weft1/plugin/wireguard_2dmesh",
                        "org.weft.Weft1.WireguardMesh", "PublicKey", check=True)
        return r.stdout.split('"')[1]

    # ------------------------------------------------------------ teardown
    def stop_all(self):
        for p in reversed(self._procs):
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.anchor and self.anchor.poll() is None:
            self.anchor.kill()
            self.anchor.wait()
