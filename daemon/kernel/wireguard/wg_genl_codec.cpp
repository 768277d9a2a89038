#include "wg_genl_codec.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <stdexcept>

#include "weft/wireguard_key.hpp"

namespace weft::kernel::wg::genl {
namespace {

using weft::wg::RawKey;

RawKey publicKey(const std::string& b64) {
    auto k = weft::wg::decodeKey(b64);
    if (!k)
        throw std::invalid_argument("not a WireGuard public key: \"" + b64 + "\"");
    return *k;
}

// Private and preshared keys: the kernel removes a key given as all zeros. Never echo them.
RawKey secretKey(const std::string& b64) {
    if (b64.empty())
        return RawKey{};
    auto k = weft::wg::decodeKey(b64);
    if (!k)
        throw std::invalid_argument("a private or preshared key is not a WireGuard key");
    return *k;
}

// ---------------------------------------------------------------- encoding

// A peer as it goes on the wire: keys already raw, so a bad key fails before any message.
struct PeerOp {
    const std::string* name;  // base64 public key, recorded in SetMessage::peers
    RawKey key;
    uint32_t flags = 0;
    std::optional<RawKey> presharedKey;
    const PeerChange* change = nullptr;  // null: a removal
};

PeerOp removal(const std::string& key) {
    return {&key, publicKey(key), WGPEER_F_REMOVE_ME, std::nullopt, nullptr};
}

PeerOp update(const PeerChange& c) {
    uint32_t flags = 0;
    if (c.replaceAllowedIps)
        flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
    if (c.updateOnly)
        flags |= WGPEER_F_UPDATE_ONLY;
    if (c.keepalive && (c.keepalive->count() < 0 || c.keepalive->count() > 65535))
        throw std::invalid_argument("persistent keepalive out of range for " + c.publicKey);
    std::optional<RawKey> psk;
    if (c.presharedKey)
        psk = secretKey(*c.presharedKey);
    return {&c.publicKey, publicKey(c.publicKey), flags, psk, &c};
}

// nlmsghdr + genlmsghdr + WGDEVICE_A_IFNAME at `buf`, which must have room for them.
nlmsghdr* putRequestHeader(void* buf, uint16_t family, uint16_t flags, uint32_t seq, uint8_t cmd,
                           const std::string& ifname) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = family;
    nlh->nlmsg_flags = flags;
    nlh->nlmsg_seq = seq;
    auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    g->cmd = cmd;
    g->version = WG_GENL_VERSION;
    mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname.c_str());
    return nlh;
}

// One request being filled, in a buffer exactly the budget long, so that libmnl's *_check
// calls refuse whatever would overflow it.
class Request {
  public:
    Request(size_t limit, uint16_t family, uint32_t seq, const std::string& ifname) : buf_(limit) {
        nlh_ = putRequestHeader(buf_.data(), family, NLM_F_REQUEST | NLM_F_ACK, seq,
                                WG_CMD_SET_DEVICE, ifname);
    }
    bool put(uint16_t type, size_t len, const void* data) {
        return mnl_attr_put_check(nlh_, buf_.size(), type, len, data);
    }
    template <class T>
    bool put(uint16_t type, const T& value) {
        return put(type, sizeof value, &value);
    }
    nlattr* nest(uint16_t type) { return mnl_attr_nest_start_check(nlh_, buf_.size(), type); }
    void end(nlattr* n) { mnl_attr_nest_end(nlh_, n); }
    void cancel(nlattr* n) { mnl_attr_nest_cancel(nlh_, n); }
    SetMessage take() {
        buf_.resize(nlh_->nlmsg_len);
        meta.bytes = std::move(buf_);
        return std::move(meta);
    }
    SetMessage meta;  // what it carries, filled in as peers are added
    nlattr* peers = nullptr;

  private:
    std::vector<uint8_t> buf_;
    nlmsghdr* nlh_;
};

class SetEncoder {
  public:
    SetEncoder(const std::string& ifname, uint16_t family, uint32_t seq, size_t limit)
        : ifname_(ifname), family_(family), seq_(seq), limit_(limit) {}

    std::vector<SetMessage> run(const DeviceChange& c) {
        std::vector<PeerOp> ops;
        for (auto& key : c.removePeers)
            ops.push_back(removal(key));
        for (auto& p : c.peers)
            ops.push_back(update(p));
        putDevice(c);
        for (auto& op : ops)
            putPeer(op);
        flush();
        return std::move(out_);
    }

  private:
    Request& req() {
        if (!req_)
            req_.emplace(limit_, family_, seq_ + uint32_t(out_.size()), ifname_);
        return *req_;
    }
    void flush() {
        if (!req_)
            return;
        if (req_->peers)
            req_->end(req_->peers);
        out_.push_back(req_->take());
        req_.reset();
    }

    // Device attributes and flags go in the first message only (it is always open here).
    void putDevice(const DeviceChange& c) {
        Request& r = req();
        if (c.replacePeers)
            r.put(WGDEVICE_A_FLAGS, uint32_t(WGDEVICE_F_REPLACE_PEERS));
        if (c.privateKey)
            r.put(WGDEVICE_A_PRIVATE_KEY, secretKey(*c.privateKey));
        if (c.listenPort)
            r.put(WGDEVICE_A_LISTEN_PORT, *c.listenPort);
        if (c.fwmark)
            r.put(WGDEVICE_A_FWMARK, *c.fwmark);
        r.meta.deviceFields = c.hasDeviceFields();
    }

    bool putEndpoint(Request& r, const Endpoint& e) {
        if (e.address.family == Family::V4) {
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(e.port);
            std::memcpy(&sa.sin_addr, e.address.bytes.data(), 4);
            return r.put(WGPEER_A_ENDPOINT, sa);
        }
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(e.port);
        std::memcpy(&sa.sin6_addr, e.address.bytes.data(), 16);
        return r.put(WGPEER_A_ENDPOINT, sa);
    }

    // A continued peer repeats only its public key: no flags, so no second REPLACE_ALLOWEDIPS.
    bool putHeader(Request& r, const PeerOp& op, bool continued) {
        if (!r.put(WGPEER_A_PUBLIC_KEY, op.key))
            return false;
        if (continued)
            return true;
        if (op.flags && !r.put(WGPEER_A_FLAGS, op.flags))
            return false;
        if (!op.change)
            return true;
        const PeerChange& c = *op.change;
        if (op.presharedKey && !r.put(WGPEER_A_PRESHARED_KEY, *op.presharedKey))
            return false;
        if (c.endpoint && !putEndpoint(r, *c.endpoint))
            return false;
        return !c.keepalive ||
               r.put(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, uint16_t(c.keepalive->count()));
    }

    bool putAllowedIp(Request& r, const Prefix& p) {
        nlattr* n = r.nest(0);
        if (!n)
            return false;
        uint16_t family = p.family() == Family::V4 ? AF_INET : AF_INET6;
        if (!r.put(WGALLOWEDIP_A_FAMILY, family) ||
            !r.put(WGALLOWEDIP_A_IPADDR, p.address.size(), p.address.bytes.data()) ||
            !r.put(WGALLOWEDIP_A_CIDR_MASK, uint8_t(p.length))) {
            r.cancel(n);
            return false;
        }
        r.end(n);
        return true;
    }

    // Puts as much of the peer as fits from allowed IP `next` on; returns how many allowed
    // IPs went in, or nullopt when not even the peer's header and its first remaining allowed
    // IP fit (then nothing of it stays in the message).
    std::optional<size_t> putFragment(Request& r, const PeerOp& op, size_t next, bool continued) {
        static const std::vector<Prefix> none;
        const auto& ips = op.change ? op.change->allowedIps : none;
        nlattr* peer = r.nest(0);
        if (!peer)
            return std::nullopt;
        size_t placed = 0;
        bool ok = putHeader(r, op, continued);
        if (ok && next < ips.size()) {
            nlattr* list = r.nest(WGPEER_A_ALLOWEDIPS);
            while (list && next + placed < ips.size() && putAllowedIp(r, ips[next + placed]))
                ++placed;
            ok = placed > 0;
            if (ok)
                r.end(list);
        }
        if (!ok) {
            r.cancel(peer);
            return std::nullopt;
        }
        r.end(peer);
        r.meta.peers.push_back(*op.name);
        return placed;
    }

    void putPeer(const PeerOp& op) {
        size_t total = op.change ? op.change->allowedIps.size() : 0, next = 0;
        bool continued = false;
        for (;;) {
            Request& r = req();
            bool fresh = r.meta.peers.empty();
            if (!r.peers && !(r.peers = r.nest(WGDEVICE_A_PEERS)))
                throw std::logic_error("WireGuard netlink: no room for the peer list");
            auto placed = putFragment(r, op, next, continued);
            if (!placed && fresh)  // kMinMessageLimit rules this out
                throw std::logic_error("WireGuard netlink: a peer does not fit in a message");
            if (placed) {
                next += *placed;
                if (next == total)
                    return;
                continued = true;
            }
            flush();
        }
    }

    const std::string& ifname_;
    uint16_t family_;
    uint32_t seq_;
    size_t limit_;
    std::optional<Request> req_;
    std::vector<SetMessage> out_;
};

void checkName(const std::string& ifname) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ)
        throw std::invalid_argument("not an interface name: \"" + ifname + "\"");
}

}  // namespace

std::vector<SetMessage> encodeSetDevice(const std::string& ifname, const DeviceChange& change,
                                        uint16_t familyId, uint32_t seq, size_t limit) {
    checkName(ifname);
    if (limit < kMinMessageLimit || limit > kMaxMessageLimit)
        throw std::invalid_argument("WireGuard netlink message limit out of range");
    if (change.empty())
        return {};
    return SetEncoder(ifname, familyId, seq, limit).run(change);
}

std::vector<uint8_t> encodeGetDevice(const std::string& ifname, uint16_t familyId, uint32_t seq) {
    checkName(ifname);
    std::vector<uint8_t> buf(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(genlmsghdr)) + MNL_ATTR_HDRLEN +
                             MNL_ALIGN(IFNAMSIZ));
    nlmsghdr* nlh = putRequestHeader(buf.data(), familyId, NLM_F_REQUEST | NLM_F_DUMP, seq,
                                     WG_CMD_GET_DEVICE, ifname);
    buf.resize(nlh->nlmsg_len);
    return buf;
}

}  // namespace weft::kernel::wg::genl
