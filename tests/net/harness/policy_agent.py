"""The agent of one policy-test pod (see harness/policy_pods.py): runs inside the pod's network
namespace for the pod's whole life, driven by JSON lines on stdin (one reply line each).

Serves, on IPv4 and IPv6:
  TCP 80, 81   accept, write one byte, close
  UDP 80, 81   echo
  SCTP         this kernel has no SCTP sockets: a raw IPPROTO_SCTP socket records the INIT
               chunks that arrive (initiate tag = probe id, source address, destination port);
               the kernel then stays silent (a raw socket consumed the packet)

Commands (every list is handled concurrently, so a batch takes about one timeout):
  {"cmd": "probe", "proto": "tcp"|"udp", "timeout": s,
   "targets": [{"id", "addr", "port", "sport"}]}   -> {"results": [{"id", "ok", "error", "ms"}]}
  {"cmd": "sctp_send", "targets": [{"addr", "port", "sport", "tag"}]}   -> {"errors": [...]}
  {"cmd": "sctp_seen", "tags": [...], "timeout": s}
      waits until every tag arrived or the timeout passed  -> {"seen": {tag: [src, dport]}}
  {"cmd": "ping"} -> {"ok": true}; {"cmd": "quit"}
Prints "ready" once every listener is up.

Needs python3-scapy (Debian's interpreter; policy_pods.agent_python() picks it): scapy builds
the INIT with its CRC32c checksum, which SCTP conntrack verifies.
"""
import errno
import json
import selectors
import socket
import struct
import sys
import threading
import time

from scapy.layers.sctp import SCTP, SCTPChunkInit

PORTS = (80, 81)
FAMILIES = (socket.AF_INET, socket.AF_INET6)
SCTP_PROTO = 132
CHUNK_INIT = 1
RECORD_TTL = 120  # seconds an unclaimed SCTP record is kept


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def bound(fam, kind, port, proto=0):
    s = socket.socket(fam, kind, proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
    return s


# ---------------------------------------------------------------- SCTP INIT records
class SctpRecords:
    """INITs that arrived, by initiate tag; sctp_seen waits on them."""

    def __init__(self):
        self.cond = threading.Condition()
        self.by_tag = {}  # tag -> (src, dport, arrival time)

    def add(self, tag, src, dport):
        with self.cond:
            self.by_tag[tag] = (src, dport, time.monotonic())
            self.cond.notify_all()

    def claim(self, tags, timeout):
        """The records of `tags` (removed), once all arrived or after `timeout`."""
        deadline = time.monotonic() + timeout
        tags = set(tags)
        with self.cond:
            while not tags <= self.by_tag.keys():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            seen = {t: self.by_tag.pop(t)[:2] for t in tags if t in self.by_tag}
            old = time.monotonic() - RECORD_TTL
            for t in [t for t, r in self.by_tag.items() if r[2] < old]:
                del self.by_tag[t]
        return seen


def parse_init(data, fam):
    """(initiate tag, destination port) of an SCTP packet whose first chunk is INIT, else None.
    Raw IPv4 sockets deliver the IP header too, IPv6 ones do not."""
    if fam == socket.AF_INET:
        data = data[(data[0] & 0x0F) * 4:]
    if len(data) < 20 or data[12] != CHUNK_INIT:
        return None
    _, dport = struct.unpack("!HH", data[:4])
    (tag,) = struct.unpack("!I", data[16:20])
    return tag, dport


# ---------------------------------------------------------------- servers
class Servers:
    """Every listener on one selector thread: the work per packet is tiny."""

    def __init__(self, records):
        self.records = records
        self.sel = selectors.DefaultSelector()
        self.raw = {}
        for fam in FAMILIES:
            for port in PORTS:
                tcp = bound(fam, socket.SOCK_STREAM, port)
                tcp.listen(512)
                tcp.setblocking(False)
                self.sel.register(tcp, selectors.EVENT_READ, self.accept)
                udp = bound(fam, socket.SOCK_DGRAM, port)
                udp.setblocking(False)
                self.sel.register(udp, selectors.EVENT_READ, self.echo)
            raw = socket.socket(fam, socket.SOCK_RAW, SCTP_PROTO)
            raw.setblocking(False)
            self.raw[fam] = raw
            self.sel.register(raw, selectors.EVENT_READ, self.record)

    def run(self):
        while True:
            for key, _ in self.sel.select():
                try:
                    key.data(key.fileobj)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError as e:
                    print(f"agent: {e}", file=sys.stderr, flush=True)

    def accept(self, sock):
        conn, _ = sock.accept()
        with conn:
            try:
                conn.send(b"a")
            except OSError:
                pass  # the prober aborts right after connecting

    def echo(self, sock):
        data, peer = sock.recvfrom(2048)
        sock.sendto(data, peer)

    def record(self, sock):
        data, peer = sock.recvfrom(65535)
        parsed = parse_init(data, sock.family)
        if parsed:
            self.records.add(parsed[0], peer[0], parsed[1])

    def send_init(self, target):
        """Sends one SCTP INIT from the recording socket itself (a second raw SCTP socket would
        also receive copies of the pod's own probes and never read them)."""
        pkt = SCTP(sport=target["sport"], dport=target["port"], tag=0) / SCTPChunkInit(
            init_tag=target["tag"], a_rwnd=65535, n_out_streams=10, n_in_streams=10,
            init_tsn=target["tag"])
        self.raw[family(target["addr"])].sendto(bytes(pkt), (target["addr"], 0))


# ---------------------------------------------------------------- probes
def finish(sock):
    """Closes a probe's socket; TCP with a reset: no TIME_WAIT, nothing left of the probe but
    its conntrack entry."""
    if sock.type == socket.SOCK_STREAM:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    sock.close()


def start_probe(proto, t):
    """A non-blocking socket bound to the probe's own source port, connecting to the target.
    Returns (socket, error or None)."""
    fam = family(t["addr"])
    s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setblocking(False)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", t["sport"]))
        err = s.connect_ex((t["addr"], t["port"]))
        if err not in (0, errno.EINPROGRESS):
            return s, errno.errorcode.get(err, str(err))
        if proto == "udp":
            s.send(str(t["id"]).encode())
    except OSError as e:
        return s, errno.errorcode.get(e.errno, str(e))
    return s, None


def probe(proto, targets, timeout):
    """Probes every target at once; a target is reached if TCP connects or the UDP echo of its
    probe id comes back within `timeout`."""
    start = time.monotonic()
    sel = selectors.DefaultSelector()
    results = {}

    def done(t, ok, error=None):
        results[t["id"]] = {"id": t["id"], "ok": ok, "error": error,
                            "ms": round((time.monotonic() - start) * 1000)}

    for t in targets:
        s, error = start_probe(proto, t)
        if error:
            s.close()
            done(t, False, error)
        else:
            sel.register(s, selectors.EVENT_WRITE if proto == "tcp" else selectors.EVENT_READ, t)
    deadline = start + timeout
    while sel.get_map():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for key, _ in sel.select(left):
            s, t = key.fileobj, key.data
            if proto == "tcp":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                done(t, err == 0, None if err == 0 else errno.errorcode.get(err, str(err)))
            else:
                try:
                    ok = s.recv(2048) == str(t["id"]).encode()
                    done(t, ok, None if ok else "wrong echo")
                except OSError as e:  # e.g. ECONNREFUSED from an ICMP port unreachable
                    done(t, False, errno.errorcode.get(e.errno, str(e)))
            sel.unregister(s)
            finish(s)
    for key in list(sel.get_map().values()):
        done(key.data, False, "timeout")
        sel.unregister(key.fileobj)
        finish(key.fileobj)
    sel.close()
    return [results[t["id"]] for t in targets]


# ---------------------------------------------------------------- command loop
def main():
    records = SctpRecords()
    servers = Servers(records)
    threading.Thread(target=servers.run, daemon=True).start()
    print("ready", flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        if cmd == "quit":
            return
        try:
            if cmd == "probe":
                reply = {"results": probe(req["proto"], req["targets"], req.get("timeout", 0.5))}
            elif cmd == "sctp_send":
                errors = []
                for t in req["targets"]:
                    try:
                        servers.send_init(t)
                    except OSError as e:
                        errors.append({"tag": t["tag"], "error": str(e)})
                reply = {"errors": errors}
            elif cmd == "sctp_seen":
                seen = records.claim(req["tags"], req.get("timeout", 0.5))
                reply = {"seen": {str(t): list(r) for t, r in seen.items()}}
            elif cmd == "ping":
                reply = {"ok": True}
            else:
                reply = {"error": f"unknown command {cmd!r}"}
        except Exception as e:  # the controller reports it; the agent keeps serving
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
