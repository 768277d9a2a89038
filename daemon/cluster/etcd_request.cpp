#include "etcd_request.hpp"

#include <stdexcept>

#include "etcd_codec.hpp"

namespace weft::cluster {

CurlEasy makeEtcdEasy(const EtcdTransportOptions& options, const std::string& url,
                      const std::string& body, std::chrono::milliseconds timeout) {
    CurlEasy easy(curl_easy_init());
    if (!easy)
        throw std::runtime_error("curl_easy_init failed");
    CURL* e = easy.get();
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body.c_str());
    // libcurl's timeouts must not use SIGALRM in a daemon.
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    // etcd is reached directly; an http_proxy in weftd's environment is not meant for it.
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, long(options.connectTimeout.count()));
    if (timeout.count() > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(timeout.count()));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 10L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 5L);
    if (!options.trustedCaFile.empty())
        curl_easy_setopt(e, CURLOPT_CAINFO, options.trustedCaFile.c_str());
    if (!options.certFile.empty())
        curl_easy_setopt(e, CURLOPT_SSLCERT, options.certFile.c_str());
    if (!options.keyFile.empty())
        curl_easy_setopt(e, CURLOPT_SSLKEY, options.keyFile.c_str());
    return easy;
}

CurlSlist jsonHeaders() {
    return CurlSlist(curl_slist_append(nullptr, "Content-Type: application/json"));
}

EtcdStatus classifyResult(CURLcode code, const std::string& curlError, long httpStatus,
                          const std::string& body) {
    if (code != CURLE_OK)
        return EtcdStatus::transport(curlError);
    if (httpStatus == 200) {
        // A stream (keep-alive) reports its errors in the body with status 200.
        if (auto err = parseErrorBody(body))
            return *err;
        return {};
    }
    auto err = parseErrorBody(body);
    std::string what = "HTTP " + std::to_string(httpStatus);
    if (httpStatus == 503 || httpStatus == 504)
        return EtcdStatus::transport(what + (err ? ": " + err->message : std::string()));
    if (err)
        return *err;
    return EtcdStatus::protocol(what + " without an etcd error body");
}

CurlMultiLoop::Id startUnary(CurlMultiLoop& curl, const EtcdTransportOptions& options,
                             const std::string& endpoint, const std::string& path,
                             const std::string& body, UnaryDone done) {
    CurlMultiLoop::Handlers h;
    h.onDone = [done = std::move(done)](CURLcode code, const std::string& error, long status,
                                        std::string& received) {
        done(classifyResult(code, error, status, received), received);
    };
    return curl.start(makeEtcdEasy(options, endpoint + path, body, options.requestTimeout),
                      jsonHeaders(), std::move(h));
}

}  // namespace weft::cluster
