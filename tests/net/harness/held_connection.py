"""A long-lived TCP connection between two pods of a PolicyCluster, for tests of what a policy
change does to flows that are already established (issue 12: a change that denies a flow cuts
it). The policy agent's listeners answer once and close; this one stays.

  server = EchoServer(cluster["x/b"], 9000)            # echoes every byte, many clients
  held = HeldConnection(cluster["x/a"], server)        # sends a byte every 100 ms
  held.wait_connected(); held.echoes_since(t); held.last_echo(); held.close(); server.close()

Run as a script inside a pod's namespace (the classes do that with `ip netns exec`):
  held_connection.py serve PORT
  held_connection.py hold ADDR PORT INTERVAL   prints "connected <sport>", then "echo" per byte
"""
import errno
import selectors
import socket
import subprocess
import sys
import threading
import time


def _spawn(pod, argv):
    return subprocess.Popen(["ip", "netns", "exec", pod.netns, sys.executable, __file__] + argv,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=5)
    for f in (proc.stdout, proc.stderr):
        f.close()


class EchoServer:
    """An echo server on `port` (IPv4 and IPv6) in `pod`'s namespace."""

    def __init__(self, pod, port):
        self.pod, self.port = pod, port
        self.proc = _spawn(pod, ["serve", str(port)])
        line = self.proc.stdout.readline().strip()
        if line != "listening":
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise RuntimeError(f"echo server in {pod.name} did not start: {line!r} {err}")

    def close(self):
        _stop(self.proc)


class HeldConnection:
    """A client in `pod` connected to `server`, sending one byte every `interval` seconds; the
    arrival time of every echo is recorded (a reader thread)."""

    def __init__(self, pod, server, family="v4", interval=0.1):
        self.pod, self.server = pod, server
        self.name = f"{pod.name} -> {server.pod.name}"
        self.src, self.dst = pod.addr(family), server.pod.addr(family)
        self.sport = None
        self.error = None
        self.echoes = []  # time.monotonic() of each echo
        self._connected = threading.Event()
        self.proc = _spawn(pod, ["hold", self.dst, str(server.port), str(interval)])
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            word = line.split()
            if not word:
                continue
            if word[0] == "echo":
                self.echoes.append(time.monotonic())
            elif word[0] == "connected":
                self.sport = int(word[1])
                self._connected.set()
            else:
                self.error = line.strip()
        self._connected.set()

    def wait_connected(self, timeout=5):
        """Waits until connected and echoing."""
        if not self._connected.wait(timeout) or self.sport is None:
            raise AssertionError(f"{self.name}: not connected ({self.error})")
        deadline = time.monotonic() + timeout
        while not self.echoes:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: connected but no echo")
            time.sleep(0.02)
        return self

    def echoes_since(self, t, until=None):
        return sum(1 for e in list(self.echoes) if e >= t and (until is None or e < until))

    def last_echo(self):
        return self.echoes[-1] if self.echoes else None

    def close(self):
        _stop(self.proc)
        self._reader.join(timeout=5)


# ---------------------------------------------------------------- in the pod's namespace
def serve(port):
    sel = selectors.DefaultSelector()
    lsock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too, as ::ffff:a.b.c.d
    lsock.bind(("::", port))
    lsock.listen(64)
    sel.register(lsock, selectors.EVENT_READ)
    print("listening", flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is lsock:
                conn, _ = lsock.accept()
                sel.register(conn, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)
                if data:
                    s.sendall(data)
                    continue
            except OSError:
                pass
            sel.unregister(s)
            s.close()


def hold(addr, port, interval):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((addr, port))
    s.setblocking(False)
    print(f"connected {s.getsockname()[1]}", flush=True)
    next_send = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_send:
            try:
                s.send(b"x")
            except BlockingIOError:
                pass  # the peer stopped acknowledging: unsent bytes pile up, none are echoed
            except OSError as e:
                print(f"error {errno.errorcode.get(e.errno, e)}", flush=True)
                return
            next_send += interval
        try:
            ready = selectors.DefaultSelector()
            ready.register(s, selectors.EVENT_READ)
            events = ready.select(max(0.0, next_send - time.monotonic()))
            ready.close()
            if events:
                data = s.recv(4096)
                if not data:
                    print("error closed", flush=True)
                    return
                sys.stdout.write("echo\n" * len(data))
                sys.stdout.flush()
        except BlockingIOError:
            pass
        except OSError as e:
            print(f"error {errno.errorcode.get(e.errno, e)}", flush=True)
            return


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "hold":
        hold(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        raise SystemExit(f"unknown command {sys.argv[1]!r}")
