"""Truth tables of the upstream netpol e2e suite on a PolicyCluster (harness/policy_pods.py).

  expected = Expected(cluster.names)                 # everything allowed, like NewReachability
  expected.expect_peer("*/*", "x/a", False)          # as ExpectPeer, "ns/pod" with wildcards
  expected.expect_peer("x/b", "x/a", True)
  result = check(cluster, expected, 80, "TCP")       # probe_matrix + compare
  self.assertEqual(result.wrong, 0, result.text)

Self-pairs: as upstream, every pod also probes itself (the traffic stays inside the pod, on
lo) but compare() does not count them (upstream's ignoreLoopback = true: "the semantics of
network policies on loopback calls may be undefined"); they are shown, marked when they differ.
"""
import fnmatch
import ipaddress
import random
from collections import defaultdict
from typing import NamedTuple

PROTOCOLS = ("TCP", "UDP", "SCTP")
TIMEOUT = 0.5  # every path is local: a reply takes well under a millisecond
AGENT_SLACK = 10  # how much longer than its timeout an agent may take to answer


# ---------------------------------------------------------------- the expected matrix
class Expected:
    """Upstream's Reachability.Expected: a value for every (from, to) pair of pod names."""

    def __init__(self, names, default=True):
        self.names = list(names)
        self.cells = {(f, t): default for f in self.names for t in self.names}

    def copy(self):
        e = Expected(self.names)
        e.cells = dict(self.cells)
        return e

    def match(self, pattern):
        """The pod names a pattern selects: "x/a", "x/*", "*/a", "*" (all); a bare namespace
        "x" is "x/*"."""
        if "/" not in pattern and pattern != "*":
            pattern += "/*"
        found = [n for n in self.names if fnmatch.fnmatchcase(n, pattern)]
        if not found:
            raise KeyError(f"{pattern!r} matches no pod")
        return found

    def expect_peer(self, frm, to, value):
        """Every pair from a pod `frm` selects to a pod `to` selects is `value`."""
        for f in self.match(frm):
            for t in self.match(to):
                self.cells[(f, t)] = value
        return self

    expect = expect_peer

    def expect_all_ingress(self, pod, value):
        """Any traffic into `pod` (a pattern too) is `value` (upstream's ExpectAllIngress)."""
        return self.expect_peer("*", pod, value)

    def expect_all_egress(self, pod, value):
        """Any traffic out of `pod` is `value` (upstream's ExpectAllEgress)."""
        return self.expect_peer(pod, "*", value)

    def allow_loopback(self):
        for n in self.names:
            self.cells[(n, n)] = True
        return self

    def get(self, frm, to):
        return self.cells[(frm, to)]

    def __getitem__(self, pair):
        return self.cells[pair]


# ---------------------------------------------------------------- probing
def _unique_tags(count):
    tags = set()
    while len(tags) < count:
        tags.add(random.getrandbits(32) or 1)  # an initiate tag of 0 is not a valid INIT
    return list(tags)


def _exchange(requests, timeout):
    """Sends each (pod, request) to the pod's agent, then collects every reply: the agents work
    in parallel. Every reply is read before an error is raised, so no agent is left with an
    unread answer that the next request would take for its own."""
    for pod, request in requests:
        pod.agent.send(request)
    replies, errors = [], []
    for pod, _ in requests:
        try:
            replies.append(pod.agent.recv(timeout + AGENT_SLACK))
        except (RuntimeError, TimeoutError) as e:
            errors.append(f"{pod.name}: {e}")
    if errors:
        raise RuntimeError("; ".join(errors))
    return replies


def _probe_sockets(pairs, port, proto, family, timeout):
    """TCP or UDP: each source pod's agent probes its targets at once; all agents in parallel."""
    by_src = defaultdict(list)
    for k, (a, b) in enumerate(pairs):
        by_src[a].append({"id": k, "addr": b.addr(family), "port": port, "sport": a.next_port()})
    replies = _exchange([(a, {"cmd": "probe", "proto": proto.lower(), "timeout": timeout, "targets": targets})
                         for a, targets in by_src.items()], timeout)
    ok = {}
    for reply in replies:
        for r in reply["results"]:
            f, t = pairs[r["id"]]
            ok[(f.name, t.name)] = r["ok"]
    return ok


def _same_addr(x, y):
    return ipaddress.ip_address(x) == ipaddress.ip_address(y)


def _probe_sctp(pairs, port, family, timeout):
    """SCTP: each source sends one INIT (its initiate tag the probe's id) per target; reached
    means the destination's agent saw that INIT, from the source's address, on `port`."""
    tags = _unique_tags(len(pairs))
    by_src, by_dst = defaultdict(list), defaultdict(list)
    for (a, b), tag in zip(pairs, tags):
        by_src[a].append({"addr": b.addr(family), "port": port, "sport": a.next_port(), "tag": tag})
        by_dst[b].append(tag)
    unsent = set()
    for reply in _exchange([(a, {"cmd": "sctp_send", "targets": targets}) for a, targets in by_src.items()], 0):
        unsent |= {e["tag"] for e in reply["errors"]}
    seen = {}
    for reply in _exchange([(b, {"cmd": "sctp_seen", "tags": want, "timeout": timeout})
                            for b, want in by_dst.items()], timeout):
        seen.update(reply["seen"])
    ok = {}
    for (a, b), tag in zip(pairs, tags):
        got = seen.get(str(tag))
        ok[(a.name, b.name)] = (tag not in unsent and got is not None and _same_addr(got[0], a.addr(family))
                                and got[1] == port)
    return ok


def probe_matrix(pods, port, protocol, family="v4", expected=None, timeout=TIMEOUT, retries=1):
    """{(from, to): reached} for every ordered pair of `pods` (a PolicyCluster or a list of
    PolicyPods), self-pairs included, on `port`/`protocol` over IPv4 ("v4") or IPv6 ("v6").

    A negative is probed again (`retries` times, fresh source ports) so that one lost packet
    cannot fail a case; with `expected`, only the negatives it calls allowed are. A positive is
    never probed again: nothing can turn it into a negative."""
    protocol = protocol.upper()
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}")
    if family not in ("v4", "v6"):
        raise ValueError(f"family is v4 or v6, not {family!r}")
    pods = list(pods)
    pending = [(a, b) for a in pods for b in pods]
    observed = {}
    for attempt in range(1 + retries):
        if protocol == "SCTP":
            got = _probe_sctp(pending, port, family, timeout)
        else:
            got = _probe_sockets(pending, port, protocol, family, timeout)
        observed.update(got)
        pending = [(a, b) for a, b in pending
                if not got[(a.name, b.name)] and (expected is None or expected.get(a.name, b.name))]
        if not pending:
            break
    return observed


# ---------------------------------------------------------------- comparing
class Comparison(NamedTuple):
    text: str  # expected, observed and their comparison side by side, then the wrong cells
    wrong: int  # cells that differ, self-pairs not counted
    cells: list  # the wrong (from, to) pairs
    observed: dict


def _grid(title, names, cell):
    width = max(len(n) for n in names) + 1
    lines = [title, "-".ljust(width) + "".join(n.rjust(width) for n in names)]
    for f in names:
        lines.append(f.ljust(width) + "".join(cell(f, t).rjust(width) for t in names))
    return lines


def compare(expected, observed, ignore_loopback=True, title=""):
    """Compares the observed matrix with the expected one, as upstream's PrintSummary: "." is
    allowed and "X" denied; in the comparison "." agrees, "X" is wrong and "~" a self-pair that
    differs (not counted when `ignore_loopback`)."""
    names = expected.names
    missing = [p for p in expected.cells if p not in observed]
    if missing:
        raise KeyError(f"observations not complete: {missing[:5]}")

    def differs(f, t):
        return expected.get(f, t) != observed[(f, t)]

    cells = [(f, t) for f in names for t in names if differs(f, t) and not (ignore_loopback and f == t)]
    checked = len(names) * len(names) - (len(names) if ignore_loopback else 0)
    mark = {True: ".", False: "X"}
    grids = [
        _grid("expected:", names, lambda f, t: mark[expected.get(f, t)]),
        _grid("observed:", names, lambda f, t: mark[observed[(f, t)]]),
        _grid("comparison:", names,
              lambda f, t: "." if not differs(f, t) else ("~" if ignore_loopback and f == t else "X")),
    ]
    width = [max(len(line) for line in g) for g in grids]
    head = f"{title}: " if title else ""
    lines = [f"{head}reachability: correct: {checked - len(cells)}, incorrect: {len(cells)}"
             + (" (self-pairs ignored, as upstream)" if ignore_loopback else "")]
    for row in zip(*grids):
        lines.append("   ".join(cell.ljust(w) for cell, w in zip(row, width)).rstrip())
    word = {True: "allowed", False: "denied"}
    for f, t in cells:
        lines.append(f"  {f} -> {t}: expected {word[expected.get(f, t)]}, observed {word[observed[(f, t)]]}")
    return Comparison("\n".join(lines), len(cells), cells, observed)


def check(pods, expected, port, protocol, family="v4", **kw):
    """probe_matrix (retrying only the unexpected negatives) and compare() in one go."""
    observed = probe_matrix(pods, port, protocol, family, expected=expected, **kw)
    return compare(expected, observed, title=f"{protocol.upper()}/{port} {family}")
