#include "curl_multi_loop.hpp"

#include <sys/epoll.h>

#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace weft::cluster {

struct CurlMultiLoop::Transfer {
    Id id = 0;
    CurlEasy easy;
    CurlSlist headers;
    Handlers handlers;
    std::string received;
    bool fresh = false;  // bytes arrived since onData last ran
    char error[CURL_ERROR_SIZE] = {};
};

CurlMultiLoop::CurlMultiLoop(EventLoop& loop) : loop_(loop) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    if (!multi_)
        throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiLoop::onSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiLoop::onTimer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMultiLoop::~CurlMultiLoop() {
    for (auto& [id, t] : transfers_)
        curl_multi_remove_handle(multi_, t->easy.get());
    transfers_.clear();
    curl_multi_cleanup(multi_);
    for (auto& [fd, source] : sockets_)
        loop_.cancel(source);
    if (timer_)
        loop_.cancel(*timer_);
}

CurlMultiLoop::Id CurlMultiLoop::start(CurlEasy easy, CurlSlist headers, Handlers handlers) {
    auto t = std::make_unique<Transfer>();
    t->id = nextId_++;
    t->easy = std::move(easy);
    t->headers = std::move(headers);
    t->handlers = std::move(handlers);
    CURL* e = t->easy.get();
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CurlMultiLoop::onWrite);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    if (t->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers.get());
    CURLMcode rc = curl_multi_add_handle(multi_, e);
    if (rc != CURLM_OK)
        throw std::runtime_error(std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc));
    Id id = t->id;
    transfers_[id] = std::move(t);
    return id;
}

void CurlMultiLoop::stop(Id id) {
    auto it = transfers_.find(id);
    if (it == transfers_.end())
        return;
    curl_multi_remove_handle(multi_, it->second->easy.get());
    transfers_.erase(it);
}

size_t CurlMultiLoop::onWrite(char* data, size_t size, size_t n, void* transfer) {
    auto* t = static_cast<Transfer*>(transfer);
    t->received.append(data, size * n);
    t->fresh = true;
    return size * n;
}

int CurlMultiLoop::onSocket(CURL*, curl_socket_t s, int what, void* self, void*) {
    auto* me = static_cast<CurlMultiLoop*>(self);
    // curl calls this before it closes a socket, so the fd is still ours to unwatch.
    if (auto it = me->sockets_.find(s); it != me->sockets_.end()) {
        me->loop_.cancel(it->second);
        me->sockets_.erase(it);
    }
    if (what == CURL_POLL_REMOVE)
        return 0;
    uint32_t events = 0;
    if (what & CURL_POLL_IN)
        events |= EPOLLIN;
    if (what & CURL_POLL_OUT)
        events |= EPOLLOUT;
    me->sockets_[s] = me->loop_.addIo(s, events, [me, s](uint32_t revents) {
        int mask = 0;
        if (revents & (EPOLLIN | EPOLLHUP))  // a hang-up is read as EOF
            mask |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
            mask |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
            mask |= CURL_CSELECT_ERR;
        me->action(s, mask);
    });
    return 0;
}

int CurlMultiLoop::onTimer(CURLM*, long timeoutMs, void* self) {
    auto* me = static_cast<CurlMultiLoop*>(self);
    if (me->timer_) {
        me->loop_.cancel(*me->timer_);
        me->timer_.reset();
    }
    if (timeoutMs < 0)
        return 0;
    // Never call into curl from here (it is inside curl): wake from the loop instead.
    me->timer_ = me->loop_.addTimer(std::chrono::milliseconds(timeoutMs), false, [me] {
        me->timer_.reset();  // a one-shot timer is gone once it fires
        me->action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
}

void CurlMultiLoop::action(curl_socket_t s, int bitmask) {
    int running = 0;
    curl_multi_socket_action(multi_, s, bitmask, &running);
    deliver();
}

void CurlMultiLoop::deliver() {
    std::vector<std::pair<Id, CURLcode>> done;
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
        if (m->msg != CURLMSG_DONE)
            continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
        if (t)
            done.emplace_back(t->id, m->data.result);
    }
    // Callbacks may start and stop transfers, so walk a snapshot of ids and look each up.
    std::vector<Id> fresh;
    for (auto& [id, t] : transfers_)
        if (t->fresh)
            fresh.push_back(id);
    for (Id id : fresh) {
        auto it = transfers_.find(id);
        if (it == transfers_.end())
            continue;
        Transfer& t = *it->second;
        t.fresh = false;
        if (!t.handlers.onData)
            continue;
        // The handler may stop (destroy) its own transfer: run a copy on a buffer we hold.
        auto onData = t.handlers.onData;
        std::string buf = std::move(t.received);
        t.received.clear();
        onData(buf);
        if (auto again = transfers_.find(id); again != transfers_.end())
            again->second->received = std::move(buf);
    }
    for (auto [id, code] : done) {
        auto it = transfers_.find(id);
        if (it == transfers_.end())
            continue;
        std::unique_ptr<Transfer> t = std::move(it->second);
        transfers_.erase(it);
        curl_multi_remove_handle(multi_, t->easy.get());
        long status = 0;
        curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
        std::string error = t->error[0] ? t->error : curl_easy_strerror(code);
        if (t->handlers.onDone)
            t->handlers.onDone(code, error, status, t->received);
    }
}

}  // namespace weft::cluster
