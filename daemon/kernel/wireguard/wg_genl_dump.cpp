// Decoding of WG_CMD_GET_DEVICE dump replies (declared in wg_genl_codec.hpp).
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "weft/wireguard_key.hpp"
#include "wg_genl_codec.hpp"

namespace weft::kernel::wg::genl {
namespace {

using weft::wg::RawKey;

void need(bool ok, const char* what) {
    if (!ok)
        throw std::runtime_error(std::string("malformed WireGuard netlink reply: ") + what);
}

// libmnl's iteration macros assign void* to a typed pointer, which C++ refuses.
template <class F>
void eachAttr(const void* begin, const void* end, F&& f) {
    auto* a = static_cast<const nlattr*>(begin);
    auto left = [&] {
        return int(static_cast<const char*>(end) - reinterpret_cast<const char*>(a));
    };
    for (; mnl_attr_ok(a, left()); a = mnl_attr_next(a))
        f(a, mnl_attr_get_type(a));
}

template <class F>
void eachNested(const nlattr* nest, F&& f) {
    auto* p = static_cast<const char*>(mnl_attr_get_payload(nest));
    eachAttr(p, p + mnl_attr_get_payload_len(nest), f);
}

template <class T>
T scalar(const nlattr* a) {
    need(mnl_attr_get_payload_len(a) == sizeof(T), "integer attribute length");
    T v;
    std::memcpy(&v, mnl_attr_get_payload(a), sizeof v);
    return v;
}

// A preshared key of all zeros means none; a public key is shown whatever its bytes.
std::string keyText(const nlattr* a, bool zeroIsNone) {
    need(mnl_attr_get_payload_len(a) == WG_KEY_LEN, "key length");
    RawKey k;
    std::memcpy(k.data(), mnl_attr_get_payload(a), k.size());
    return zeroIsNone && k == RawKey{} ? std::string() : weft::wg::encodeKey(k);
}

std::optional<Endpoint> endpoint(const nlattr* a) {
    size_t len = mnl_attr_get_payload_len(a);
    const void* p = mnl_attr_get_payload(a);
    sa_family_t family = AF_UNSPEC;
    need(len >= sizeof family, "endpoint length");
    std::memcpy(&family, p, sizeof family);
    if (family == AF_INET && len >= sizeof(sockaddr_in)) {
        sockaddr_in sa;
        std::memcpy(&sa, p, sizeof sa);
        auto* addr = reinterpret_cast<const uint8_t*>(&sa.sin_addr);
        return Endpoint{Address::fromBytes(Family::V4, addr), ntohs(sa.sin_port)};
    }
    if (family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        sockaddr_in6 sa;
        std::memcpy(&sa, p, sizeof sa);
        auto* addr = reinterpret_cast<const uint8_t*>(&sa.sin6_addr);
        return Endpoint{Address::fromBytes(Family::V6, addr), ntohs(sa.sin6_port)};
    }
    return std::nullopt;
}

Prefix allowedIp(const nlattr* nest) {
    uint16_t family = 0;
    const nlattr* addr = nullptr;
    std::optional<uint8_t> cidr;
    eachNested(nest, [&](const nlattr* a, uint16_t type) {
        if (type == WGALLOWEDIP_A_FAMILY)
            family = scalar<uint16_t>(a);
        else if (type == WGALLOWEDIP_A_IPADDR)
            addr = a;
        else if (type == WGALLOWEDIP_A_CIDR_MASK)
            cidr = scalar<uint8_t>(a);
    });
    need(addr && cidr && (family == AF_INET || family == AF_INET6), "allowed IP");
    Family f = family == AF_INET ? Family::V4 : Family::V6;
    need(mnl_attr_get_payload_len(addr) >= (f == Family::V4 ? 4u : 16u), "allowed IP address");
    need(*cidr <= (f == Family::V4 ? 32 : 128), "allowed IP mask");
    auto* bytes = static_cast<const uint8_t*>(mnl_attr_get_payload(addr));
    return Prefix::make(Address::fromBytes(f, bytes), *cidr);
}

DeviceState::Peer peer(const nlattr* nest) {
    DeviceState::Peer p;
    eachNested(nest, [&](const nlattr* a, uint16_t type) {
        switch (type) {
            case WGPEER_A_PUBLIC_KEY:
                p.publicKey = keyText(a, false);
                break;
            case WGPEER_A_PRESHARED_KEY:
                p.presharedKey = keyText(a, true);
                break;
            case WGPEER_A_ENDPOINT:
                p.endpoint = endpoint(a);
                break;
            case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
                p.keepalive = std::chrono::seconds(scalar<uint16_t>(a));
                break;
            case WGPEER_A_LAST_HANDSHAKE_TIME:
                need(mnl_attr_get_payload_len(a) >= sizeof(int64_t), "handshake time");
                std::memcpy(&p.lastHandshake, mnl_attr_get_payload(a), sizeof p.lastHandshake);
                break;
            case WGPEER_A_RX_BYTES:
                p.rx = scalar<uint64_t>(a);
                break;
            case WGPEER_A_TX_BYTES:
                p.tx = scalar<uint64_t>(a);
                break;
            case WGPEER_A_ALLOWEDIPS:
                eachNested(
                    a, [&](const nlattr* ip, uint16_t) { p.allowedIps.push_back(allowedIp(ip)); });
                break;
        }
    });
    need(!p.publicKey.empty(), "peer without public key");
    return p;
}

void decodeDevice(const nlmsghdr* nlh, DeviceState& into) {
    need(nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(genlmsghdr), "short message");
    eachAttr(mnl_nlmsg_get_payload_offset(nlh, sizeof(genlmsghdr)), mnl_nlmsg_get_payload_tail(nlh),
             [&](const nlattr* a, uint16_t type) {
                 if (type == WGDEVICE_A_PRIVATE_KEY)
                     into.privateKey = keyText(a, true);
                 else if (type == WGDEVICE_A_LISTEN_PORT)
                     into.listenPort = scalar<uint16_t>(a);
                 else if (type == WGDEVICE_A_FWMARK)
                     into.fwmark = scalar<uint32_t>(a);
                 else if (type == WGDEVICE_A_PEERS)
                     eachNested(a, [&](const nlattr* n, uint16_t) {
                         auto p = peer(n);
                         // The kernel continues a peer whose allowed IPs overflowed a message.
                         if (!into.peers.empty() && into.peers.back().publicKey == p.publicKey) {
                             auto& ips = into.peers.back().allowedIps;
                             ips.insert(ips.end(), p.allowedIps.begin(), p.allowedIps.end());
                         } else {
                             into.peers.push_back(std::move(p));
                         }
                     });
             });
}

int errorCode(const nlmsghdr* nlh) {
    int err = 0;
    need(mnl_nlmsg_get_payload_len(nlh) >= sizeof err, "short error");
    std::memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof err);  // nlmsgerr and DONE start so
    return err;
}

}  // namespace

DumpProgress decodeGetDump(const uint8_t* data, size_t len, uint16_t familyId, uint32_t seq,
                           DeviceState& into) {
    DumpProgress progress;
    auto* nlh = reinterpret_cast<const nlmsghdr*>(data);
    int left = int(len);
    for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
        if (nlh->nlmsg_seq != seq)
            continue;  // a stale reply to an earlier request
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
            progress.interrupted = true;
        if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
            if (int err = errorCode(nlh); err < 0)
                throw std::system_error(-err, std::generic_category(), "WireGuard device dump");
            progress.done = progress.done || nlh->nlmsg_type == NLMSG_DONE;
        } else if (nlh->nlmsg_type == familyId) {
            decodeDevice(nlh, into);
        }
    }
    return progress;
}

}  // namespace weft::kernel::wg::genl
