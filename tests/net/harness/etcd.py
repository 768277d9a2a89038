"""A real etcd cluster on a testbed: Debian's /usr/bin/etcd (3.4), one member per host, mutual
TLS on the client and the peer port, certificates made with the openssl CLI.

    pki = Pki(tb)                                     # CA, other CA, server/client certificates
    etcd = EtcdCluster(tb, tb.hosts[:3], pki).start()  # waits until every member is healthy
    etcd.kill(1); etcd.restart(1); etcd.stop_all(); etcd.start()
    etcd.ctl("put", "/weft/x", "y")

Everything lives under the testbed's temporary directory and every member runs in its host's
namespaces, so the testbed's close() (also run at exit and on SIGTERM/SIGINT) removes it all.
"""
import base64
import json
import signal
import subprocess
import time
from pathlib import Path

from .proc import run
from .wait import wait_until

CLIENT_PORT, PEER_PORT = 2379, 2380
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


class Pki:
    """A CA, an unrelated CA (for the wrong-CA case), one server certificate per member with the
    member's IP as its only SAN (plus 127.0.0.1), and client certificates made on demand."""

    def __init__(self, tb, name="pki"):
        self.dir = Path(tb.tmp) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        for ca in ("ca", "other-ca"):
            self._openssl(["req", "-x509"] + EC + ["-days", "1", "-subj", f"/CN=weft-test-{ca}",
                                                   "-keyout", self.path(f"{ca}.key"), "-out", self.path(f"{ca}.crt")])
        self._clients = {}

    def path(self, name):
        return str(self.dir / name)

    @property
    def ca(self):
        return self.path("ca.crt")

    @property
    def other_ca(self):
        return self.path("other-ca.crt")

    def _openssl(self, args):
        run(["openssl"] + args)

    def _leaf(self, name, ext, ca="ca"):
        (self.dir / f"{name}.ext").write_text(ext)
        self._openssl(["req"] + EC + ["-subj", f"/CN=weft-test-{name}", "-keyout", self.path(f"{name}.key"),
                                      "-out", self.path(f"{name}.csr")])
        self._openssl(["x509", "-req", "-days", "1", "-in", self.path(f"{name}.csr"), "-CA", self.path(f"{ca}.crt"),
                       "-CAkey", self.path(f"{ca}.key"), "-CAcreateserial", "-extfile", self.path(f"{name}.ext"),
                       "-out", self.path(f"{name}.crt")])
        return self.path(f"{name}.crt"), self.path(f"{name}.key")

    def server(self, name, ip):
        """(cert, key) for member `name` at `ip`; also used as its peer (client) certificate."""
        return self._leaf(f"server-{name}", f"subjectAltName=IP:{ip},IP:127.0.0.1\n"
                                            "extendedKeyUsage=serverAuth,clientAuth\n")

    def client(self, name="client"):
        """(cert, key) of a client certificate signed by the CA (made once per name)."""
        if name not in self._clients:
            self._clients[name] = self._leaf(f"client-{name}", "extendedKeyUsage=clientAuth\n")
        return self._clients[name]


class Member:
    def __init__(self, cluster, host):
        self.cluster, self.host = cluster, host
        self.name = f"etcd-{host.name}"
        self.ip = host.addr4
        self.dir = cluster.dir / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert, self.key = cluster.pki.server(self.name, self.ip)
        self.proc = None

    @property
    def client_url(self):
        return f"https://{self.ip}:{CLIENT_PORT}"

    @property
    def peer_url(self):
        return f"https://{self.ip}:{PEER_PORT}"

    def argv(self):
        pki = self.cluster.pki
        return ["/usr/bin/etcd", f"--name={self.name}", f"--data-dir={self.dir / 'data'}",
                f"--listen-client-urls={self.client_url}", f"--advertise-client-urls={self.client_url}",
                f"--listen-peer-urls={self.peer_url}", f"--initial-advertise-peer-urls={self.peer_url}",
                f"--initial-cluster={self.cluster.initial_cluster()}", "--initial-cluster-state=new",
                f"--initial-cluster-token={self.cluster.tb.prefix}",
                f"--cert-file={self.cert}", f"--key-file={self.key}", f"--trusted-ca-file={pki.ca}",
                "--client-cert-auth",
                f"--peer-cert-file={self.cert}", f"--peer-key-file={self.key}",
                f"--peer-trusted-ca-file={pki.ca}", "--peer-client-cert-auth",
                "--logger=zap", "--log-outputs=stderr"]

    def start(self):
        if self.running():
            return
        log = open(self.dir / "etcd.log", "a")
        self.proc = self.host.popen(self.argv(), stdout=log, stderr=log)
        log.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _end(self, sig):
        if self.running():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self):
        self._end(signal.SIGKILL)

    def stop(self):
        self._end(signal.SIGTERM)

    def log(self):
        p = self.dir / "etcd.log"
        return p.read_text() if p.exists() else ""


class EtcdCluster:
    def __init__(self, tb, hosts, pki):
        self.tb, self.pki = tb, pki
        self.dir = Path(tb.tmp) / "etcd"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.members = [Member(self, h) for h in hosts]
        self.client_cert, self.client_key = pki.client("etcdctl")

    def initial_cluster(self):
        return ",".join(f"{m.name}={m.peer_url}" for m in self.members)

    @property
    def endpoints(self):
        return [m.client_url for m in self.members]

    # ------------------------------------------------------------ lifecycle
    def start(self, timeout=30):
        """Starts every member that is not running (all at once: a new cluster needs a quorum
        before any member answers) and waits until each of them is healthy."""
        for m in self.members:
            m.start()
        self.wait_healthy(timeout=timeout)
        return self

    def kill(self, i):
        self.members[i].kill()

    def stop(self, i):
        self.members[i].stop()

    def restart(self, i, timeout=30):
        self.members[i].stop()
        self.members[i].start()
        self.wait_healthy([self.members[i]], timeout)

    def stop_all(self):
        for m in self.members:
            m.stop()

    def wait_healthy(self, members=None, timeout=30):
        members = members or self.members
        try:
            wait_until(lambda: all(self.healthy(m) for m in members), timeout, 0.2, "etcd members healthy")
        except AssertionError as e:
            logs = "\n".join(f"--- {m.name}\n" + "\n".join(m.log().splitlines()[-15:]) for m in members)
            raise AssertionError(f"{e}\n{logs}") from None

    # ------------------------------------------------------------ talking to it
    def _in_underlay(self, argv, timeout=20, input=None):
        """Runs argv in the underlay namespace: it reaches every member, and a host's firewall
        (a test that cuts a host off from etcd) does not get in the way."""
        return run(["ip", "netns", "exec", self.tb.underlay] + argv, check=False, timeout=timeout, input=input)

    def healthy(self, member):
        """GET /health over https with the client certificate: etcd's own {"health":"true"}."""
        if not member.running():
            return False
        r = self._in_underlay(["curl", "-s", "--max-time", "2", "--cacert", self.pki.ca, "--cert", self.client_cert,
                               "--key", self.client_key, f"{member.client_url}/health"])
        try:
            return r.returncode == 0 and json.loads(r.stdout).get("health") == "true"
        except ValueError:
            return False

    def ctl(self, *args, endpoints=None, check=True, input=None, retry=10.0):
        """etcdctl (v3 API, mutual TLS) against the running members (or `endpoints`); returns
        the CompletedProcess, raising with its output when check and it failed. A failure that
        a leader change explains (a proposal forwarded to a member just killed waits out the
        command timeout) is retried for up to `retry` seconds: etcdctl is the witness here."""
        deadline = time.monotonic() + retry
        while True:
            eps = endpoints or [m.client_url for m in self.members if m.running()]
            argv = ["env", "ETCDCTL_API=3", "etcdctl", "--dial-timeout=2s", "--command-timeout=3s",
                    "--endpoints=" + ",".join(eps), "--cacert=" + self.pki.ca, "--cert=" + self.client_cert,
                    "--key=" + self.client_key] + [str(a) for a in args]
            r = self._in_underlay(argv, input=input)
            transient = any(w in r.stderr for w in ("deadline exceeded", "timed out", "leader", "unavailable"))
            if r.returncode == 0 or not transient or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        if check and r.returncode != 0:
            raise RuntimeError(f"etcdctl {' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def put(self, key, value):
        # "--" so that a value starting with '-' is not an option.
        self.ctl("put", "--", key, value)

    def delete(self, key, prefix=False):
        self.ctl("del", "--prefix", key) if prefix else self.ctl("del", key)

    def get_prefix(self, prefix):
        """{key: value} of every key under `prefix`."""
        out = json.loads(self.ctl("get", "--prefix", prefix, "-w", "json").stdout)
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
                for kv in out.get("kvs", [])}

    def member_list(self):
        return json.loads(self.ctl("member", "list", "-w", "json").stdout)["members"]

    def wait_key(self, key, present=True, timeout=10):
        def check():
            r = self.ctl("get", key, "--print-value-only", check=False)
            return r.returncode == 0 and bool(r.stdout.strip()) == present
        wait_until(check, timeout, 0.2, f"{key} {'present' if present else 'gone'} in etcd")
