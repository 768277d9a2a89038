#include "wg_genl.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>

#include "kernel/netlink_extack.hpp"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace weft::kernel::wg {
namespace {

// The kernel sizes dump messages to the reader's buffer, up to 32 KiB; more never truncates.
constexpr size_t kReceiveBuffer = 64 * 1024;
constexpr int kDumpAttempts = 5;

std::system_error sysError(int err, const std::string& what) {
    return std::system_error(err, std::generic_category(), what);
}

// The part of `change` that is one peer (a removal or an add/update), alone.
DeviceChange peerAlone(const DeviceChange& change, const std::string& key) {
    DeviceChange one;
    if (std::find(change.removePeers.begin(), change.removePeers.end(), key) !=
        change.removePeers.end()) {
        one.removePeers.push_back(key);
    }
    auto it = std::find_if(change.peers.begin(), change.peers.end(),
                           [&](const PeerChange& p) { return p.publicKey == key; });
    if (it != change.peers.end())
        one.peers.push_back(*it);
    return one;
}

void addOnce(std::vector<std::string>& errors, std::string e) {
    if (std::find(errors.begin(), errors.end(), e) == errors.end())
        errors.push_back(std::move(e));
}

}  // namespace

void GenlClient::SocketClose::operator()(mnl_socket* s) const {
    mnl_socket_close(s);
}

std::string GenlClient::Status::str() const {
    std::string s = std::strerror(error);
    return extack.empty() ? s : s + " (" + extack + ")";
}

GenlClient::GenlClient() : seq_(uint32_t(time(nullptr))), rx_(kReceiveBuffer) {
    sk_.reset(mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC));
    if (!sk_)
        throw sysError(errno, "generic netlink socket");
    if (mnl_socket_bind(sk_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        throw sysError(errno, "generic netlink bind");
    int one = 1;
    mnl_socket_setsockopt(sk_.get(), NETLINK_EXT_ACK, &one, sizeof one);
    mnl_socket_setsockopt(sk_.get(), NETLINK_CAP_ACK, &one, sizeof one);  // acks without echo
    timeval tv{10, 0};  // never hang weftd on a missing answer
    setsockopt(mnl_socket_get_fd(sk_.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    family_ = resolveFamily();
}

GenlClient::~GenlClient() = default;

bool GenlClient::available() {
    try {
        GenlClient probe;
        return true;
    } catch (const std::system_error&) {
        return false;
    }
}

void GenlClient::send(const std::vector<uint8_t>& msg) {
    if (mnl_socket_sendto(sk_.get(), msg.data(), msg.size()) < 0)
        throw sysError(errno, "generic netlink send");
}

uint16_t GenlClient::resolveFamily() {
    std::vector<uint8_t> buf(MNL_NLMSG_HDRLEN + 64);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = GENL_ID_CTRL;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++seq_;
    auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    g->cmd = CTRL_CMD_GETFAMILY;
    g->version = 1;
    mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
    buf.resize(nlh->nlmsg_len);
    send(buf);
    uint16_t id = 0;
    for (;;) {  // the family's description, then the ack
        ssize_t n = mnl_socket_recvfrom(sk_.get(), rx_.data(), rx_.size());
        if (n < 0)
            throw sysError(errno, "generic netlink receive");
        auto* m = reinterpret_cast<const nlmsghdr*>(rx_.data());
        for (int left = int(n); mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
            if (m->nlmsg_seq != seq_)
                continue;
            if (m->nlmsg_type == NLMSG_ERROR) {
                auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
                if (e->error == -ENOENT)
                    throw sysError(ENOENT,
                                   "the kernel has no WireGuard (no generic netlink "
                                   "family \"" WG_GENL_NAME "\")");
                if (e->error < 0)
                    throw sysError(-e->error, "resolving the " WG_GENL_NAME " family");
                if (id == 0)
                    throw sysError(ENOENT, "no " WG_GENL_NAME " family id in the reply");
                return id;
            }
            auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(*g)));
            auto* end = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
            for (; mnl_attr_ok(a, int(end - reinterpret_cast<const char*>(a)));
                 a = mnl_attr_next(a)) {
                if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
                    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
                    id = mnl_attr_get_u16(a);
            }
        }
    }
}

GenlClient::Status GenlClient::request(const std::vector<uint8_t>& msg) {
    uint32_t seq = reinterpret_cast<const nlmsghdr*>(msg.data())->nlmsg_seq;
    send(msg);
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(sk_.get(), rx_.data(), rx_.size());
        if (n < 0)
            return {errno, "no answer from the kernel"};
        auto* m = reinterpret_cast<const nlmsghdr*>(rx_.data());
        for (int left = int(n); mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
            if (m->nlmsg_seq == seq && m->nlmsg_type == NLMSG_ERROR) {
                auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
                return {-e->error, e->error ? extAckMessage(m) : std::string()};
            }
        }
    }
}

DeviceState GenlClient::get(const std::string& ifname) {
    for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
        DeviceState d;
        uint32_t seq = ++seq_;
        send(genl::encodeGetDevice(ifname, family_, seq));
        genl::DumpProgress total;
        while (!total.done) {
            ssize_t n = mnl_socket_recvfrom(sk_.get(), rx_.data(), rx_.size());
            if (n < 0)
                throw sysError(errno, "WireGuard device dump of " + ifname);
            auto step = genl::decodeGetDump(rx_.data(), size_t(n), family_, seq, d);
            total.done = step.done;
            total.interrupted = total.interrupted || step.interrupted;
        }
        if (!total.interrupted)  // else the peers changed under the dump: read them again
            return d;
    }
    throw sysError(EAGAIN, "WireGuard device " + ifname + " kept changing during the dump");
}

std::vector<std::string> GenlClient::set(const std::string& ifname, const DeviceChange& change,
                                         size_t limit) {
    std::vector<std::string> errors;
    auto messages = genl::encodeSetDevice(ifname, change, family_, seq_ + 1, limit);
    seq_ += uint32_t(messages.size());
    for (auto& m : messages) {
        Status st = request(m.bytes);
        if (st.ok())
            continue;
        if (m.peers.size() + (m.deviceFields ? 1 : 0) == 1) {
            std::string what = m.deviceFields ? "device settings" : "peer " + m.peers.front();
            addOnce(errors, ifname + ": " + what + ": " + st.str());
        } else {
            narrow(ifname, change, m, limit, errors);
        }
    }
    return errors;
}

// The kernel stops at the first peer it refuses and does not say which one that was. Every
// part of a change is idempotent, so resending the failed message's parts one at a time
// finds it (the parts before it are applied again, harmlessly).
void GenlClient::narrow(const std::string& ifname, const DeviceChange& change,
                        const genl::SetMessage& failed, size_t limit,
                        std::vector<std::string>& errors) {
    if (failed.deviceFields) {
        DeviceChange device;
        device.privateKey = change.privateKey;
        device.listenPort = change.listenPort;
        device.fwmark = change.fwmark;
        device.replacePeers = change.replacePeers;
        if (auto e = sendAlone(ifname, device, limit); !e.empty())
            addOnce(errors, ifname + ": device settings: " + e);
    }
    for (auto& key : failed.peers) {
        if (auto e = sendAlone(ifname, peerAlone(change, key), limit); !e.empty())
            addOnce(errors, ifname + ": peer " + key + ": " + e);
    }
}

std::string GenlClient::sendAlone(const std::string& ifname, const DeviceChange& part,
                                  size_t limit) {
    auto messages = genl::encodeSetDevice(ifname, part, family_, seq_ + 1, limit);
    seq_ += uint32_t(messages.size());
    for (auto& m : messages) {
        if (Status st = request(m.bytes); !st.ok())
            return st.str();
    }
    return {};
}

}  // namespace weft::kernel::wg
