// npc-bench --conn: new TCP connections per second between two pods on a bridge, through
// weave-policy's table and through weave-npc's ipset + iptables ruleset of the same objects.
//
// The bench's network namespace holds the bridge `weave` (br_netfilter on) and the rules; the
// two pods are namespaces owned by the process (made by a thread's unshare, held by a file
// descriptor, gone when the process ends), each with a veth on the bridge. Client threads in
// the client pod connect to the server pod's TCP 8080 as fast as they can and close with
// SO_LINGER 0 (an RST: no TIME_WAIT, so ports never run out); the server accepts and closes.
// The connection's SYN is the only packet not accepted by the established rule, so the
// rate measures what each ruleset costs a new flow.
#pragma once

#include "npc_workload.hpp"

namespace weft::bench {

struct ConnOptions {
    ClusterSpec cluster;   ///< policies: the larger of the two sizes (the other is 10)
    unsigned seconds = 3;  ///< per measurement
    unsigned rounds = 3;   ///< measurements per configuration (the median is reported)
    unsigned clients = 2;  ///< client threads
    bool legacy = true;    ///< also iptables-legacy (measured last: its hooks stay)
};

/// Runs the measurements and prints them; 0 on success.
int connBench(const ConnOptions& options);

}  // namespace weft::bench
