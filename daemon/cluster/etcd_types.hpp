// Value types shared by the etcd client's pieces: records, events, results and errors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weft::cluster {

/// One key as etcd stores it (mvccpb.KeyValue). Keys and values are bytes, decoded from base64.
struct KeyValue {
    std::string key;
    std::string value;
    int64_t createRevision = 0;
    int64_t modRevision = 0;
    int64_t version = 0;
    int64_t lease = 0;  ///< 0 = no lease
    bool operator==(const KeyValue&) const = default;
};

/// A change seen by a watch, or one line of a relist's diff.
struct WatchEvent {
    enum class Type { Put, Delete };
    Type type = Type::Put;
    std::string key;
    std::string value;        ///< empty for Delete
    int64_t modRevision = 0;  ///< 0 for a Delete made up by a relist diff
    bool operator==(const WatchEvent&) const = default;
};

/// Why an operation failed. Transport errors (connect, TLS, timeout, HTTP 503/504) make the
/// client try the next endpoint; Server errors are etcd's answer (e.g. "lease not found") and
/// are final; Protocol errors are answers we could not understand.
struct EtcdStatus {
    enum class Kind { Ok, Transport, Server, Protocol };
    Kind kind = Kind::Ok;
    std::string message;
    int grpcCode = 0;  ///< etcd's gRPC status code for Server errors (5 = not found)

    bool ok() const { return kind == Kind::Ok; }
    static EtcdStatus transport(std::string m) { return {Kind::Transport, std::move(m), 0}; }
    static EtcdStatus server(std::string m, int code) { return {Kind::Server, std::move(m), code}; }
    static EtcdStatus protocol(std::string m) { return {Kind::Protocol, std::move(m), 0}; }
};

/// A range (get) answer: the keys and the store revision they were read at.
struct RangeResult {
    int64_t revision = 0;
    std::vector<KeyValue> kvs;
    bool more = false;  ///< etcd cut the answer at the request's limit
};

struct LeaseGrant {
    int64_t id = 0;
    int64_t ttl = 0;  ///< seconds granted
};

/// One message of a watch stream (etcdserverpb.WatchResponse).
struct WatchResponse {
    int64_t revision = 0;  ///< header.revision
    bool created = false;
    bool canceled = false;
    int64_t compactRevision = 0;  ///< > 0: the start revision was compacted; relist
    std::string cancelReason;
    std::vector<WatchEvent> events;
};

}  // namespace weft::cluster
