"""Runs inside the egress testbed's namespaces (stdlib only; see harness/egress.py).

  egress_agent.py echo PORT ADDR...   TCP echo on every address, UDP echo on each ADDR (bound, so
                                       replies leave from it); the line "whoami" is answered
                                       with the peer address seen
  egress_agent.py dns ADDR...          a resolver on UDP 53 of each ADDR: A queries get the
                                       asker's IPv4 address (198.51.100.77 for IPv6 askers), other
                                       types an empty answer
  egress_agent.py flows JSON           runs the flows of JSON (a list of {proto: tcp|udp|dns,
                                       dst, port, sport?, timeout?, abort?}), 16 at a time, and
                                       prints one JSON list of results (exit or error, ms)
  egress_agent.py hold JSON            opens {count} TCP connections to {dst}:{port}, asks each
                                       "whoami" every 0.2 s; "status" on stdin prints them all
"""
import json
import select
import socket
import struct
import sys
import threading
import time

WHOAMI = b"whoami"


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def any_addr(fam):
    return "::" if fam == socket.AF_INET6 else "0.0.0.0"


def listener(fam, kind, port, addr=None):
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr or any_addr(fam), port))
    return s


# ---------------------------------------------------------------- servers
def answer(line, peer):
    return peer.encode() if line.strip() == WHOAMI else line


def serve_tcp_conn(conn, peer):
    with conn:
        f = conn.makefile("rb")
        for line in f:
            conn.sendall(answer(line.rstrip(b"\n"), peer) + b"\n")


def serve_tcp(sock):
    sock.listen(512)
    while True:
        conn, addr = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, addr[0]), daemon=True).start()


def serve_udp(sock):
    while True:
        data, addr = sock.recvfrom(2048)
        sock.sendto(answer(data, addr[0]), addr)


def echo(port, addrs):
    threads = []
    for fam in (socket.AF_INET, socket.AF_INET6):
        threads.append(threading.Thread(target=serve_tcp, args=(listener(fam, socket.SOCK_STREAM, port),)))
    for a in addrs:
        threads.append(threading.Thread(target=serve_udp, args=(listener(family(a), socket.SOCK_DGRAM, port, a),)))
    for t in threads:
        t.daemon = True
        t.start()
    print("ready", flush=True)
    threads[0].join()


def dns_answer(query, peer):
    """A response to `query`: for an A question one answer, the asker's IPv4 address."""
    qend = 12
    while query[qend] != 0:
        qend += query[qend] + 1
    qtype = struct.unpack("!H", query[qend + 1:qend + 3])[0]
    question = query[12:qend + 5]
    header = query[:2] + b"\x81\x80" + struct.pack("!HHHH", 1, 1 if qtype == 1 else 0, 0, 0)
    if qtype != 1:
        return header + question
    addr = peer if ":" not in peer else "198.51.100.77"
    return header + question + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(addr)


def dns(addrs):
    socks = [listener(family(a), socket.SOCK_DGRAM, 53, a) for a in addrs]
    print("ready", flush=True)
    while True:
        for s in select.select(socks, [], [])[0]:
            q, addr = s.recvfrom(512)
            try:
                s.sendto(dns_answer(q, addr[0]), addr)
            except (IndexError, struct.error):
                pass


# ---------------------------------------------------------------- clients
def dns_query(name="exit.test"):
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return b"\x12\x34\x01\x00" + struct.pack("!HHHH", 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)


def one_flow(flow):
    """One flow: TCP or UDP "whoami" (proto dns: an A query). Returns the answer or the error."""
    proto, dst, port = flow["proto"], flow["dst"], flow["port"]
    timeout = flow.get("timeout", 3)
    fam = family(dst)
    s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.settimeout(timeout)
    start = time.monotonic()
    result = {"proto": proto, "dst": dst, "port": port}
    try:
        if flow.get("sport"):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((any_addr(fam), flow["sport"]))
        s.connect((dst, port))
        result["sport"] = s.getsockname()[1]
        if proto == "dns":
            s.send(dns_query())
            reply = s.recv(512)
            result["exit"] = socket.inet_ntoa(reply[-4:]) if reply[7] == 1 else ""
        elif proto == "udp":
            s.send(WHOAMI)
            result["exit"] = s.recv(512).decode().strip()
        else:
            s.sendall(WHOAMI + b"\n")
            result["exit"] = s.makefile("rb").readline().decode().strip()
            if not result["exit"]:
                result["error"] = "EOF"
    except OSError as e:
        result["error"] = type(e).__name__ if isinstance(e, TimeoutError) else (
            f"{type(e).__name__}:{e.errno}")
    finally:
        # "abort": close with a reset, leaving no TIME_WAIT (the source port can be reused).
        if proto == "tcp" and flow.get("abort"):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    result["ms"] = round((time.monotonic() - start) * 1000)
    return result


def flows(spec):
    pending = list(spec)
    results = [None] * len(pending)
    lock = threading.Lock()
    nxt = [0]

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(pending):
                return
            results[i] = one_flow(pending[i])

    threads = [threading.Thread(target=worker) for _ in range(min(16, len(pending)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(results), flush=True)


class Held:
    def __init__(self, dst, port, sport):
        self.sock = socket.create_connection((dst, port), timeout=3, source_address=(
            any_addr(family(dst)), sport))
        self.sport = self.sock.getsockname()[1]
        self.sock.sendall(WHOAMI + b"\n")
        self.buf = b""
        f = self.sock.makefile("rb")
        self.exit = f.readline().decode().strip()
        self.sock.setblocking(False)
        self.error, self.error_at, self.changed = None, None, None
        self.waiting_since = None
        self.last_ok = time.time()

    def fail(self, why):
        if not self.error:
            self.error, self.error_at = why, time.time()

    def view(self):
        return {"sport": self.sport, "exit": self.exit, "error": self.error, "error_at": self.error_at,
                "changed": self.changed, "last_ok": self.last_ok,
                "stalled": None if self.waiting_since is None else round(time.time() - self.waiting_since, 2)}


def hold(spec):
    conns = [Held(spec["dst"], spec["port"], spec.get("sport", 0) and spec["sport"] + i)
             for i in range(spec["count"])]
    lock = threading.Lock()
    print(json.dumps([c.view() for c in conns]), flush=True)

    def loop():
        while True:
            with lock:
                live = [c for c in conns if not c.error]
                for c in live:
                    if c.waiting_since is None:
                        try:
                            c.sock.send(WHOAMI + b"\n")
                            c.waiting_since = time.time()
                        except OSError as e:
                            c.fail(f"{type(e).__name__}:{e.errno}")
            deadline = time.monotonic() + 0.2
            while time.monotonic() < deadline:
                with lock:
                    live = [c for c in conns if not c.error]
                ready = select.select([c.sock for c in live], [], [], max(0, deadline - time.monotonic()))[0]
                with lock:
                    for c in live:
                        if c.sock not in ready:
                            continue
                        try:
                            data = c.sock.recv(4096)
                        except OSError as e:
                            c.fail(f"{type(e).__name__}:{e.errno}")
                            continue
                        if not data:
                            c.fail("EOF")
                            continue
                        c.buf += data
                        while b"\n" in c.buf:
                            line, c.buf = c.buf.split(b"\n", 1)
                            if line.decode() != c.exit:
                                c.changed = line.decode()
                            c.waiting_since, c.last_ok = None, time.time()

    threading.Thread(target=loop, daemon=True).start()
    for line in sys.stdin:
        if line.strip() == "status":
            with lock:
                print(json.dumps([c.view() for c in conns]), flush=True)
        elif line.strip() == "quit":
            return


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "echo":
        echo(int(sys.argv[2]), sys.argv[3:])
    elif mode == "dns":
        dns(sys.argv[2:])
    elif mode == "flows":
        flows(json.loads(sys.argv[2]))
    elif mode == "hold":
        hold(json.loads(sys.argv[2]))
