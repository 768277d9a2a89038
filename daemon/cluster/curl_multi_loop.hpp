// libcurl's multi interface driven by weftd's sd-event loop: the one place that knows both.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "event_loop.hpp"

namespace weft::cluster {

struct CurlEasyDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlSlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

/// Runs any number of transfers at once without blocking: libcurl tells us which sockets to
/// watch (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION), and we map
/// both onto the EventLoop. Received bytes are collected here and handed to the owner's
/// callbacks *after* libcurl returns, never from inside a libcurl callback, so a callback may
/// start or stop transfers (its own included) or destroy the object that made them.
///
/// Must be destroyed before the EventLoop it borrows; destroying it aborts every transfer
/// without calling its callbacks.
class CurlMultiLoop {
  public:
    using Id = uint64_t;
    struct Handlers {
        /// New bytes arrived; `received` holds every byte not consumed yet — erase what you
        /// used. Optional (a unary call reads the whole body in onDone).
        std::function<void(std::string& received)> onData;
        /// The transfer ended: CURLE_OK or libcurl's error, with its message; `httpStatus` 0
        /// when no answer came. Called once, unless the transfer was stopped.
        std::function<void(CURLcode code, const std::string& error, long httpStatus,
                           std::string& received)>
            onDone;
    };

    explicit CurlMultiLoop(EventLoop& loop);
    ~CurlMultiLoop();
    CurlMultiLoop(const CurlMultiLoop&) = delete;
    CurlMultiLoop& operator=(const CurlMultiLoop&) = delete;

    /// Starts a transfer prepared by the caller (URL, body, TLS, timeouts). Takes `easy` and
    /// `headers` (which must outlive the transfer); sets the write and error-buffer options.
    Id start(CurlEasy easy, CurlSlist headers, Handlers handlers);
    /// Aborts a transfer; its callbacks are not called. Unknown ids are ignored.
    void stop(Id id);
    size_t active() const { return transfers_.size(); }

  private:
    struct Transfer;
    static int onSocket(CURL* easy, curl_socket_t s, int what, void* self, void* socketp);
    static int onTimer(CURLM* multi, long timeoutMs, void* self);
    static size_t onWrite(char* data, size_t size, size_t n, void* transfer);
    void action(curl_socket_t s, int bitmask);
    void deliver();

    EventLoop& loop_;
    CURLM* multi_ = nullptr;
    Id nextId_ = 1;
    std::map<Id, std::unique_ptr<Transfer>> transfers_;
    std::map<curl_socket_t, EventLoop::Id> sockets_;  // our io source per socket curl watches
    std::optional<EventLoop::Id> timer_;
};

}  // namespace weft::cluster
