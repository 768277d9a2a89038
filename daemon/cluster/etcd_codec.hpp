// The JSON bodies of etcd's v3 gateway (/v3/...) and their answers: pure functions, no I/O.
//
// The gateway is grpc-gateway's JSON mapping of etcdserverpb: bytes are base64, int64 values
// are written as decimal strings, fields at their default value are left out (a PUT event has
// no "type", an expired lease's keep-alive no "TTL"), and each message of a streaming call
// (watch, lease keep-alive) is one line, {"result": ...} or {"error": ...}.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "etcd_types.hpp"
#include "weft/json.hpp"

namespace weft::cluster {

/// An answer that is not what the gateway sends (bad JSON, a missing field, bad base64).
struct EtcdProtocolError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string base64Encode(const std::string& bytes);
/// Throws EtcdProtocolError on text that is not base64.
std::string base64Decode(const std::string& text);

/// The range_end that makes [prefix, end) cover every key starting with `prefix`: the prefix
/// with its last byte below 0xff incremented and the rest cut off; "\0" (every key) when the
/// prefix is empty or all 0xff, as etcd defines it.
std::string prefixRangeEnd(const std::string& prefix);

// Request bodies. `revision` 0 reads the newest revision; `lease` 0 means no lease.
std::string rangeBody(const std::string& key, const std::string& rangeEnd, int64_t revision = 0,
                      int64_t limit = 0);
std::string putBody(const std::string& key, const std::string& value, int64_t lease);
std::string deleteRangeBody(const std::string& key, const std::string& rangeEnd);
std::string leaseGrantBody(int64_t ttlSeconds);
std::string leaseIdBody(int64_t id);  ///< keep-alive and revoke
std::string watchCreateBody(const std::string& key, const std::string& rangeEnd,
                            int64_t startRevision);

// Answers. Each throws EtcdProtocolError when the text is not the expected shape.
RangeResult parseRange(const std::string& body);
/// header.revision of any unary answer (put, delete).
int64_t parseHeaderRevision(const std::string& body);
/// How many keys a deleterange removed.
int64_t parseDeleted(const std::string& body);
LeaseGrant parseLeaseGrant(const std::string& body);
/// A keep-alive's remaining TTL in seconds; 0 when the lease no longer exists.
int64_t parseKeepAliveTtl(const std::string& streamLine);
/// One line of the watch stream.
WatchResponse parseWatchLine(const std::string& line);

/// etcd's error in an answer body — {"error": "...", "code": N} from a unary call or
/// {"error": {"message": ..., "grpc_code": N}} from a stream — or nullopt when the body
/// is not an error.
std::optional<EtcdStatus> parseErrorBody(const std::string& body);

/// An int64 field written as a string (the gateway) or a number; `fallback` when absent.
int64_t jsonInt64(const Json& obj, const char* field, int64_t fallback = 0);

}  // namespace weft::cluster
