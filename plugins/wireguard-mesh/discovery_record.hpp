// A node's record in the cluster store, key "nodes/<node name>" in wireguard-mesh's key space:
// what other nodes need to make this node their peer. Never the private key.
//
//   {"version":1, "name":"node-a", "publicKey":"<base64>", "listenPort":51820,
//    "endpoints":["192.0.2.1:51820", ...], "addresses":["10.99.0.1/24", ...],
//    "advertised":["10.244.1.0/24", ...]}
//
// "addresses" are the node's mesh link addresses (with prefix length), "advertised" its
// AdvertisedPrefixes=. Records come from other machines: everything is checked, and a record
// is taken whole or not at all.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mesh_config.hpp"

namespace weft::mesh {

inline constexpr int kRecordVersion = 1;
/// The key space of node records, relative to the plugin's ("nodes/node-a").
inline constexpr const char* kNodesPrefix = "nodes/";

struct NodeRecord {
    std::string name;
    std::string publicKey;
    uint16_t listenPort = 0;
    std::vector<Endpoint> endpoints;
    std::vector<InterfaceAddress> addresses;
    std::vector<Prefix> advertised;
    bool operator==(const NodeRecord&) const = default;
};

/// A record that cannot be taken; what() starts with the field at fault ("publicKey: ...").
class RecordError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// "nodes/<name>".
std::string recordKey(const std::string& nodeName);
/// The node name of a record key, nullopt when `key` is not "nodes/<valid peer name>".
std::optional<std::string> nodeOfKey(const std::string& key);

/// Compact JSON, fields in the order above.
std::string encodeRecord(const NodeRecord& record);
/// Parses and checks the record stored at `key`: JSON object, version 1, name equal to the
/// key's last segment, a WireGuard public key, a port, endpoints, addresses with a prefix
/// length, prefixes without host bits. Unknown fields are ignored (a newer writer may add
/// some). Throws RecordError.
NodeRecord decodeRecord(const std::string& key, const std::string& text);

/// The peer this record makes: named after the node, its endpoints as candidates, AllowedIPs
/// each mesh address as a host prefix (/32, /128) and then the advertised prefixes.
PeerSpec discoveredPeer(const NodeRecord& record);

}  // namespace weft::mesh
