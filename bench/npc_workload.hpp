// What npc-bench enforces: a seeded Kubernetes cluster as weave-policy objects.
//
// Namespaces ns-0000 .. carry team/env/monitoring labels. Pod i (i >= 1) lives in namespace
// i % namespaces with app/role/version labels, one IPv4 address 10.64.0.0 + i + 1 and named
// ports (http, metrics, grpc) whose numbers differ from app to app; a pod's labels depend on
// the seed and i only, so clusters of 100 and 10,000 pods agree on their common pods.
// Policies do not depend on the pod count: default-deny, same-namespace pod selectors,
// namespace selectors (matchLabels and matchExpressions) with and without pod selectors,
// ipBlocks with excepts, numbered ports, port ranges and named ports, ingress and egress.
// Pod 0 is the "hot" pod (ns-0000/hot): `hotPolicies` policies select it, as target or peer,
// each through a distinct selection, so relabelling it touches that many address sets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "objects.hpp"

namespace weft::bench {

struct ClusterSpec {
    unsigned namespaces = 1000;
    unsigned pods = 10000;      ///< including the hot pod (and the two conn pods)
    unsigned policies = 2000;   ///< in all: generic + hot + conn
    unsigned hotPolicies = 50;  ///< policies whose selections pick the hot pod (0: none)
    bool connPods = false;      ///< add the pods and policies of the connection-rate test
    uint32_t seed = 1;
};

/// The connection-rate test's pods: a server in ns-0500 (TCP 8080, named "http"), a client
/// in ns-0501; the server is selected by three policies (one admits the client), the client
/// by an egress policy admitting it to the server's namespace on the named port.
inline const char* kConnServerIp = "10.127.0.1";
inline const char* kConnClientIp = "10.127.0.2";
inline constexpr uint16_t kConnPort = 8080;

struct Cluster {
    std::vector<weave::Object> objects;  ///< namespaces, then pods, then policies
    weave::Pod hot;                      ///< pod 0 with its "on" labels
    weave::Labels hotOn, hotOff;         ///< labels matching the hot selections, and none
    unsigned policies = 0;
};

Cluster makeCluster(const ClusterSpec& spec);

/// Policies whose target or peer selections pick `pod` (counted, not assumed).
unsigned policiesSelecting(const std::vector<weave::Object>& objects, const weave::Pod& pod);
/// Policies with a selection picking exactly one of `a` and `b` (one pod, two sets of
/// labels): those whose selectors a relabelling from `a` to `b` matters to.
unsigned policiesChanging(const std::vector<weave::Object>& objects, const weave::Pod& a,
                          const weave::Pod& b);

}  // namespace weft::bench
