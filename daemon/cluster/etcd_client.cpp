#include "etcd_client.hpp"

#include <random>
#include <stdexcept>

#include "etcd_codec.hpp"

namespace weft::cluster {

const char* connectionStateName(ConnectionState s) {
    switch (s) {
        case ConnectionState::Connecting:
            return "connecting";
        case ConnectionState::Connected:
            return "connected";
        case ConnectionState::Disconnected:
            return "disconnected";
    }
    return "?";
}

struct EtcdClient::Call {
    std::string path;
    std::string body;
    UnaryDone done;
    size_t tried = 0;
};

EtcdClient::EtcdClient(EventLoop& loop, EtcdClientOptions options)
    : loop_(loop),
      options_(std::move(options)),
      curl_(std::make_unique<CurlMultiLoop>(loop)),
      seed_(std::random_device{}()) {
    if (options_.endpoints.empty())
        throw std::invalid_argument("etcd client needs at least one endpoint");
}

EtcdClient::~EtcdClient() = default;

void EtcdClient::setState(ConnectionState s, const std::string& reason) {
    if (s == state_)
        return;
    state_ = s;
    stateReason_ = reason;
    if (stateCallback_)
        stateCallback_(s, reason);
}

void EtcdClient::endpointFailed(size_t index, const EtcdStatus& status, bool allFailed) {
    if (index == preferred_)
        preferred_ = (preferred_ + 1) % options_.endpoints.size();
    if (allFailed)
        setState(ConnectionState::Disconnected, options_.endpoints[index] + ": " + status.message);
}

void EtcdClient::endpointWorked(size_t index) {
    preferred_ = index;
    setState(ConnectionState::Connected, options_.endpoints[index]);
}

Backoff EtcdClient::makeBackoff() {
    return Backoff(options_.backoffInitial, options_.backoffMax, seed_++);
}

void EtcdClient::call(const std::string& path, std::string body, UnaryDone done) {
    auto c = std::make_shared<Call>();
    c->path = path;
    c->body = std::move(body);
    c->done = std::move(done);
    attempt(std::move(c));
}

void EtcdClient::attempt(std::shared_ptr<Call> c) {
    size_t index = preferred_;
    startUnary(*curl_, options_, options_.endpoints[index], c->path, c->body,
               [this, c, index](const EtcdStatus& status, const std::string& body) {
                   if (status.kind == EtcdStatus::Kind::Transport) {
                       bool allFailed = ++c->tried >= options_.endpoints.size();
                       endpointFailed(index, status, allFailed);
                       if (!allFailed)
                           return attempt(c);
                   } else {
                       endpointWorked(index);  // even etcd's "no" is an answer
                   }
                   c->done(status, body);
               });
}

// Turns a unary answer into a typed one; a body we cannot read becomes a Protocol error.
template <class T, class Parse>
static UnaryDone typed(EtcdClient::Done<T> done, Parse parse) {
    return [done = std::move(done), parse](const EtcdStatus& status, const std::string& body) {
        if (!status.ok())
            return done(status, T{});
        T value{};
        try {
            value = parse(body);
        } catch (const EtcdProtocolError& e) {
            return done(EtcdStatus::protocol(e.what()), T{});
        }
        done(status, std::move(value));
    };
}

void EtcdClient::put(const std::string& key, const std::string& value, int64_t lease,
                     Done<int64_t> done) {
    call("/v3/kv/put", putBody(key, value, lease),
         typed<int64_t>(std::move(done),
                        [](const std::string& b) { return parseHeaderRevision(b); }));
}

void EtcdClient::remove(const std::string& key, bool prefix, Done<int64_t> done) {
    call("/v3/kv/deleterange", deleteRangeBody(key, prefix ? prefixRangeEnd(key) : ""),
         typed<int64_t>(std::move(done), [](const std::string& b) { return parseDeleted(b); }));
}

void EtcdClient::get(const std::string& key, bool prefix, int64_t revision,
                     Done<RangeResult> done) {
    call("/v3/kv/range", rangeBody(key, prefix ? prefixRangeEnd(key) : "", revision),
         typed<RangeResult>(std::move(done), [](const std::string& b) { return parseRange(b); }));
}

void EtcdClient::leaseGrant(int64_t ttlSeconds, Done<LeaseGrant> done) {
    call("/v3/lease/grant", leaseGrantBody(ttlSeconds),
         typed<LeaseGrant>(std::move(done),
                           [](const std::string& b) { return parseLeaseGrant(b); }));
}

void EtcdClient::leaseKeepAlive(int64_t id, Done<int64_t> done) {
    call("/v3/lease/keepalive", leaseIdBody(id),
         typed<int64_t>(std::move(done), [](const std::string& b) {
             // A stream of one message: its first line.
             return parseKeepAliveTtl(b.substr(0, b.find('\n')));
         }));
}

void EtcdClient::leaseRevoke(int64_t id, Done<bool> done) {
    call("/v3/lease/revoke", leaseIdBody(id),
         typed<bool>(std::move(done), [](const std::string& b) {
             parseHeaderRevision(b);
             return true;
         }));
}

}  // namespace weft::cluster
