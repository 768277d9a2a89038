"""An independent reference model of Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics.

Written from the API documentation (the NetworkPolicy concept page and the API reference), not
from weave-policy's code, so the kernel's verdicts can be checked against it. Inputs are the
objects as they would be applied: v1 Namespace, v1 Pod and networking.k8s.io/v1 NetworkPolicy
manifests as JSON dicts. Only what decides a verdict is read:

- A pod is isolated for ingress (egress) when a policy in its namespace selects it
  (spec.podSelector; {} selects every pod of the namespace) and that policy's policyTypes
  contain Ingress (Egress). policyTypes left out means Ingress, plus Egress when spec.egress
  has at least one rule. A policy's effects add up: a connection is allowed when the source's
  egress allows it and the destination's ingress allows it; each side allows when the pod is
  not isolated in that direction or at least one rule of one selecting policy matches.
- A rule matches when one of its peers (from/to) matches the other end (no peers: every end,
  pods or not) and one of its ports matches (no ports: every port of every protocol).
- Peers: podSelector alone selects pods of the policy's own namespace; namespaceSelector alone
  every pod of the matching namespaces; both together the matching pods of the matching
  namespaces; ipBlock the addresses inside cidr but inside none of except, pods included.
  Namespaces always carry kubernetes.io/metadata.name=<name> (the API server sets it).
- Ports: protocol defaults to TCP; no port means every port of that protocol; a number with
  endPort is the inclusive range; a name is resolved on the destination pod (whichever side
  the rule is on): a container port with that name and the rule's protocol, whose number is
  the connection's port. A name never matches a destination that is not a pod.
- A pod may have several addresses (status.podIPs, dual stack): all of them are the pod; an
  ipBlock is matched against the address the packet carries.
"""
import ipaddress

METADATA_NAME = "kubernetes.io/metadata.name"


def _labels(obj):
    return dict((obj.get("metadata") or {}).get("labels") or {})


def selector_matches(selector, labels):
    """metav1.LabelSelector semantics: every matchLabels pair and every expression must hold;
    {} (or a selector with neither) matches every label set."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or []:
        key, op, values = req["key"], req["operator"], req.get("values") or []
        if op == "In":
            ok = key in labels and labels[key] in values
        elif op == "NotIn":
            ok = key not in labels or labels[key] not in values
        elif op == "Exists":
            ok = key in labels
        elif op == "DoesNotExist":
            ok = key not in labels
        else:
            raise ValueError(f"unknown selector operator {op!r}")
        if not ok:
            return False
    return True


class _Pod:
    def __init__(self, obj):
        meta = obj["metadata"]
        self.ns, self.name = meta.get("namespace", "default"), meta["name"]
        self.labels = _labels(obj)
        status = obj.get("status") or {}
        ips = [entry["ip"] for entry in status.get("podIPs") or []]
        if not ips and status.get("podIP"):
            ips = [status["podIP"]]
        self.ips = [ipaddress.ip_address(ip) for ip in ips]
        # (name, protocol) -> number, from every container
        self.named_ports = {}
        for container in (obj.get("spec") or {}).get("containers") or []:
            for port in container.get("ports") or []:
                if port.get("name"):
                    self.named_ports[(port["name"], port.get("protocol", "TCP"))] = int(port["containerPort"])


def policy_types(spec):
    """The policyTypes in force after the API server's defaulting: (ingress, egress)."""
    types = spec.get("policyTypes")
    if not types:
        return True, bool(spec.get("egress"))
    return "Ingress" in types, "Egress" in types


class Model:
    """The objects in force, indexed; verdicts for connections between addresses."""

    def __init__(self, objects):
        self.ns_labels = {}
        self.pods = []
        self.policies = []
        for obj in objects:
            kind = obj.get("kind")
            if kind == "Namespace":
                name = obj["metadata"]["name"]
                labels = _labels(obj)
                labels[METADATA_NAME] = name
                self.ns_labels[name] = labels
            elif kind == "Pod":
                self.pods.append(_Pod(obj))
            elif kind == "NetworkPolicy":
                self.policies.append(obj)
        self.by_ip = {}
        for pod in self.pods:
            for ip in pod.ips:
                self.by_ip[ip] = pod

    def namespace_labels(self, ns):
        # A namespace without its object still has the label the API server always sets.
        return self.ns_labels.get(ns, {METADATA_NAME: ns})

    def _selecting(self, pod, direction):
        """The policies that select `pod` for "ingress" or "egress"."""
        out = []
        for policy in self.policies:
            meta, spec = policy["metadata"], policy.get("spec") or {}
            if meta.get("namespace", "default") != pod.ns:
                continue
            if not selector_matches(spec.get("podSelector") or {}, pod.labels):
                continue
            ingress, egress = policy_types(spec)
            if (ingress if direction == "ingress" else egress):
                out.append(policy)
        return out

    def _peer_matches(self, peer, policy_ns, ip, pod):
        if "ipBlock" in peer and peer["ipBlock"] is not None:
            block = peer["ipBlock"]
            net = ipaddress.ip_network(block["cidr"], strict=False)
            if ip.version != net.version or ip not in net:
                return False
            for ex in block.get("except") or []:
                exnet = ipaddress.ip_network(ex, strict=False)
                if ip.version == exnet.version and ip in exnet:
                    return False
            return True
        if pod is None:
            return False  # pod and namespace selectors select pods only
        pod_sel, ns_sel = peer.get("podSelector"), peer.get("namespaceSelector")
        if ns_sel is None:
            if pod.ns != policy_ns:
                return False
        elif not selector_matches(ns_sel, self.namespace_labels(pod.ns)):
            return False
        if pod_sel is not None and not selector_matches(pod_sel, pod.labels):
            return False
        return pod_sel is not None or ns_sel is not None

    @staticmethod
    def _port_matches(entry, protocol, port, dst_pod):
        if entry.get("protocol", "TCP") != protocol:
            return False
        value = entry.get("port")
        if value is None:
            return True
        if isinstance(value, str):
            if dst_pod is None:
                return False
            return dst_pod.named_ports.get((value, protocol)) == port
        end = entry.get("endPort")
        return value <= port <= (end if end is not None else value)

    def _side_allows(self, pod, direction, other_ip, other_pod, protocol, port, dst_pod):
        policies = self._selecting(pod, direction)
        if not policies:
            return True  # not isolated in this direction
        peers_key = "from" if direction == "ingress" else "to"
        for policy in policies:
            ns = policy["metadata"].get("namespace", "default")
            for rule in (policy.get("spec") or {}).get(direction) or []:
                peers = rule.get(peers_key) or []
                if peers and not any(self._peer_matches(p, ns, other_ip, other_pod) for p in peers):
                    continue
                ports = rule.get("ports") or []
                if ports and not any(self._port_matches(e, protocol, port, dst_pod) for e in ports):
                    continue
                return True
        return False

    def allowed(self, src_ip, dst_ip, protocol, port):
        """True if a connection src_ip -> dst_ip:port/protocol ("TCP", "UDP", "SCTP") is allowed."""
        src_ip, dst_ip = ipaddress.ip_address(src_ip), ipaddress.ip_address(dst_ip)
        src, dst = self.by_ip.get(src_ip), self.by_ip.get(dst_ip)
        if src is not None and not self._side_allows(src, "egress", dst_ip, dst, protocol, port, dst):
            return False
        if dst is not None and not self._side_allows(dst, "ingress", src_ip, src, protocol, port, dst):
            return False
        return True

    def pod_ip(self, key, family):
        """The first address of family 4 or 6 of pod "ns/name", or None."""
        for pod in self.pods:
            if f"{pod.ns}/{pod.name}" == key:
                for ip in pod.ips:
                    if ip.version == family:
                        return str(ip)
        return None

    def matrix(self, pods, protocol, port, family):
        """{(src, dst): verdict} for every ordered pair of pods ("ns/name"), over `family`."""
        ips = {p: self.pod_ip(p, family) for p in pods}
        return {(s, d): self.allowed(ips[s], ips[d], protocol, port) for s in pods for d in pods}


def allowed(objects, src_ip, dst_ip, protocol, port):
    """The verdict for one connection given the objects in force (see Model)."""
    return Model(objects).allowed(src_ip, dst_ip, protocol, port)
