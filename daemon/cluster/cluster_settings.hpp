// weftd.conf [Cluster]: where the cluster store is and who this node is in it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace weft::cluster {

struct ClusterSettings {
    std::string backend;                 ///< "etcd"; empty = standalone
    std::vector<std::string> endpoints;  ///< "https://host:2379", in order of preference
    std::string trustedCaFile;
    std::string certFile;
    std::string keyFile;
    std::string prefix = "/weft/";  ///< every key weft writes starts with it
    std::string nodeName;           ///< default the hostname
    std::chrono::seconds leaseTtl{15};

    bool standalone() const { return backend.empty(); }
    bool operator==(const ClusterSettings&) const = default;
};

}  // namespace weft::cluster
