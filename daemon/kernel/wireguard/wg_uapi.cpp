#include "wg_uapi.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "weft/wireguard_key.hpp"
#include "wg_diff.hpp"

namespace weft::kernel::wg {
namespace {

std::string b64FromHex(const std::string& hex) {
    auto k = weft::wg::hexToKey(hex);
    return k ? weft::wg::encodeKey(*k) : std::string();
}

std::string hexFromB64(const std::string& b64) {
    auto k = weft::wg::decodeKey(b64);
    if (!k)
        throw std::invalid_argument("not a WireGuard key");
    return weft::wg::keyToHex(*k);
}

// The UAPI removes a key when given all zeros.
std::string hexOrZero(const std::string& b64) {
    return b64.empty() ? std::string(64, '0') : hexFromB64(b64);
}

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0)
            close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

}  // namespace

DeviceState parseGet(const std::string& reply) {
    DeviceState d;
    std::istringstream in(reply);
    std::string line;
    DeviceState::Peer* peer = nullptr;
    while (std::getline(in, line)) {
        if (line.empty())
            break;
        auto eq = line.find('=');
        if (eq == std::string::npos)
            continue;
        std::string k = line.substr(0, eq), v = line.substr(eq + 1);
        if (k == "errno" && v != "0")
            throw std::runtime_error("wireguard UAPI errno " + v);
        if (k == "private_key")
            d.privateKey = b64FromHex(v);
        else if (k == "listen_port")
            d.listenPort = uint16_t(std::stoul(v));
        else if (k == "fwmark")
            d.fwmark = uint32_t(std::stoul(v));
        else if (k == "public_key") {
            d.peers.push_back({});
            peer = &d.peers.back();
            peer->publicKey = b64FromHex(v);
        } else if (peer) {
            if (k == "preshared_key")
                peer->presharedKey = v == std::string(64, '0') ? "" : b64FromHex(v);
            else if (k == "endpoint")
                peer->endpoint = Endpoint::parse(v);
            else if (k == "allowed_ip") {
                if (auto p = Prefix::parseLoose(v))
                    peer->allowedIps.push_back(*p);
            } else if (k == "persistent_keepalive_interval")
                peer->keepalive = std::chrono::seconds(std::stol(v));
            else if (k == "last_handshake_time_sec")
                peer->lastHandshake = std::stoll(v);
            else if (k == "rx_bytes")
                peer->rx = std::stoull(v);
            else if (k == "tx_bytes")
                peer->tx = std::stoull(v);
        }
    }
    return d;
}

std::chrono::milliseconds exchangeDeadline(size_t requestBytes) {
    return std::chrono::milliseconds(500 + requestBytes * 4 / 1000);
}

std::string UapiClient::exchange(const std::string& ifname, const std::string& request) const {
    using Clock = std::chrono::steady_clock;
    const auto budget = exchangeDeadline(request.size());
    const auto deadline = Clock::now() + budget;
    std::string path = socketPath(ifname).string();
    Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0)
        throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        // EAGAIN: its accept queue is full, so it is there but not serving.
        if (errno != EAGAIN && errno != EINPROGRESS)
            throw UapiUnavailable("connect " + path + ": " + std::strerror(errno));
    }
    auto busy = [&](const char* doing) {
        return UapiTimeout("wireguard-go on " + ifname + " is busy: no " + doing + " within " +
                           std::to_string(budget.count()) + " ms (request of " +
                           std::to_string(request.size()) + " bytes)");
    };
    // Waits until `events` or the deadline; false on the deadline.
    auto wait = [&](short events) {
        for (;;) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0)
                return false;
            pollfd p{fd.get(), events, 0};
            int n = poll(&p, 1, int(left.count()));
            if (n > 0)
                return true;
            if (n < 0 && errno != EINTR)
                throw std::runtime_error("poll " + path + ": " + std::strerror(errno));
        }
    };
    size_t off = 0;
    while (off < request.size()) {
        ssize_t n = send(fd.get(), request.data() + off, request.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += size_t(n);
        } else if (n < 0 && (errno == EAGAIN || errno == ENOTCONN)) {
            if (!wait(POLLOUT))
                throw busy(off ? "room for the rest of the request" : "connection");
        } else if (n < 0 && errno != EINTR) {
            throw std::runtime_error("write " + path + ": " + std::strerror(errno));
        }
    }
    std::string reply;
    char buf[65536];
    while (reply.size() < 2 || reply.compare(reply.size() - 2, 2, "\n\n") != 0) {
        ssize_t n = read(fd.get(), buf, sizeof buf);
        if (n > 0) {
            reply.append(buf, size_t(n));
        } else if (n == 0) {
            break;  // closed: the caller reports what came
        } else if (errno == EAGAIN) {
            if (!wait(POLLIN))
                throw busy("reply");
        } else if (errno != EINTR) {
            throw std::runtime_error("read " + path + ": " + std::strerror(errno));
        }
    }
    return reply;
}

bool UapiClient::alive(const std::string& ifname) const {
    try {
        get(ifname);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

DeviceState UapiClient::get(const std::string& ifname) const {
    std::string reply = exchange(ifname, "get=1\n\n");
    if (reply.find("errno=") == std::string::npos)  // never an empty device by mistake
        throw std::runtime_error("wireguard UAPI get on " + ifname + ": no reply");
    return parseGet(reply);
}

void UapiClient::set(const std::string& ifname, const std::string& body) const {
    std::string reply = exchange(ifname, "set=1\n" + body + "\n");
    if (reply.find("errno=0") == std::string::npos) {
        auto pos = reply.find("errno=");
        throw std::runtime_error("wireguard UAPI set failed: " +
                                 (pos == std::string::npos
                                      ? std::string("no reply (connection closed)")
                                      : reply.substr(pos, reply.find('\n', pos) - pos)));
    }
}

std::string encodeUapiSet(const DeviceChange& c) {
    std::ostringstream o;
    if (c.privateKey)
        o << "private_key=" << hexOrZero(*c.privateKey) << "\n";
    if (c.listenPort)
        o << "listen_port=" << *c.listenPort << "\n";
    if (c.fwmark)
        o << "fwmark=" << *c.fwmark << "\n";
    if (c.replacePeers)
        o << "replace_peers=true\n";
    for (auto& key : c.removePeers)
        o << "public_key=" << hexFromB64(key) << "\nremove=true\n";
    for (auto& p : c.peers) {
        o << "public_key=" << hexFromB64(p.publicKey) << "\n";
        if (p.updateOnly)
            o << "update_only=true\n";
        if (p.presharedKey)
            o << "preshared_key=" << hexOrZero(*p.presharedKey) << "\n";
        if (p.endpoint)
            o << "endpoint=" << p.endpoint->str() << "\n";
        if (p.keepalive)
            o << "persistent_keepalive_interval=" << p.keepalive->count() << "\n";
        if (p.replaceAllowedIps)
            o << "replace_allowed_ips=true\n";
        for (auto& ip : p.allowedIps)
            o << "allowed_ip=" << ip.str() << "\n";
    }
    return o.str();
}

}  // namespace weft::kernel::wg
