// One HTTP call to one etcd endpoint's JSON gateway: building the request and judging the
// answer. Failover between endpoints is the client's business, not this file's.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "curl_multi_loop.hpp"
#include "etcd_types.hpp"

namespace weft::cluster {

/// How to reach etcd: mutual TLS as etcd is deployed (empty files = plain or server-only TLS).
struct EtcdTransportOptions {
    std::string trustedCaFile;  ///< CA that signed the servers' certificates (CURLOPT_CAINFO)
    std::string certFile;       ///< our client certificate (CURLOPT_SSLCERT)
    std::string keyFile;        ///< its key (CURLOPT_SSLKEY)
    std::chrono::milliseconds connectTimeout{2000};
    std::chrono::milliseconds requestTimeout{5000};  ///< a unary call, connect included
};

/// A POST of `body` to `url`, JSON in and out. `timeout` 0 = none (a watch stream, which lives
/// as long as the connection; TCP keep-alive notices a peer that vanished).
CurlEasy makeEtcdEasy(const EtcdTransportOptions& options, const std::string& url,
                      const std::string& body, std::chrono::milliseconds timeout);
CurlSlist jsonHeaders();

/// What a finished call amounts to: Transport for libcurl's errors (the message says which:
/// "SSL certificate problem: ...", "Connection refused", "Operation timed out") and for
/// etcd's 503/504 (no leader, timeout: another member may do better), Server for etcd's other
/// errors, Protocol for an answer that is not the gateway's.
EtcdStatus classifyResult(CURLcode code, const std::string& curlError, long httpStatus,
                          const std::string& body);

using UnaryDone = std::function<void(const EtcdStatus& status, const std::string& body)>;

/// Starts one unary call of `path` (e.g. "/v3/kv/range") on `endpoint` (e.g.
/// "https://127.0.0.1:2379"); `done` runs once on the loop, unless the transfer is stopped.
CurlMultiLoop::Id startUnary(CurlMultiLoop& curl, const EtcdTransportOptions& options,
                             const std::string& endpoint, const std::string& path,
                             const std::string& body, UnaryDone done);

}  // namespace weft::cluster
