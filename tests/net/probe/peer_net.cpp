#include "peer_net.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace weft::test {

namespace {

int openOwnNamespace() {
    int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error(std::string("open netns: ") + std::strerror(errno));
    return fd;
}

void enter(int ns) {
    if (setns(ns, CLONE_NEWNET) != 0)
        throw std::runtime_error(std::string("setns: ") + std::strerror(errno));
}

}  // namespace

void mustSh(const std::string& cmd) {
    CmdResult r = sh(cmd);
    if (r.status != 0)
        throw std::runtime_error(cmd + ": " + r.out);
}

Address addr(const char* text) {
    auto a = Address::parse(text);
    if (!a)
        throw std::runtime_error(std::string("bad address ") + text);
    return *a;
}

PeerNet& PeerNet::get() {
    static PeerNet net;
    return net;
}

PeerNet::PeerNet() {
    ours_ = openOwnNamespace();
    if (unshare(CLONE_NEWNET) != 0)
        throw std::runtime_error(std::string("unshare: ") + std::strerror(errno));
    peer_ = openOwnNamespace();
    enter(ours_);

    std::string peerPath = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(peer_);
    mustSh("ip link add wp0 type veth peer name wp1");
    mustSh("ip link add wx0 type veth peer name wx1");
    mustSh("ip link set wp1 netns " + peerPath);
    mustSh("ip link set wx1 netns " + peerPath);
    mustSh("ip addr add 10.66.0.1/24 dev wp0");
    mustSh("ip -6 addr add fd66::1/64 dev wp0 nodad");
    mustSh("ip link set wp0 up");
    mustSh("ip link set wx0 up");
    mustSh("ip neigh add 10.66.0.3 lladdr 02:00:00:00:66:03 dev wp0 nud permanent");
    mustSh("ip -6 neigh add fd66::3 lladdr 02:00:00:00:66:03 dev wp0 nud permanent");
    mustSh("ip route add 10.67.0.2/32 dev wp0 src 10.66.0.1 table 166");
    mustSh("ip rule add fwmark 0x42 lookup 166");
    mustSh("ip route add 10.68.0.0/24 via 10.66.0.2");
    mustSh("ip -6 route add fd68::/64 via fd66::2");
    // Replies from 10.67.0.2 have no route back in main: reverse-path filtering must not drop them.
    mustSh("sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.wp0.rp_filter=0");

    peerSh("ip link set lo up");
    peerSh("ip addr add 10.66.0.2/24 dev wp1");
    peerSh("ip addr add 10.67.0.2/32 dev wp1");
    peerSh("ip -6 addr add fd66::2/64 dev wp1 nodad");
    peerSh("ip link set wp1 up");
    peerSh("ip link set wx1 up");
    peerSh("sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1");
    peerSh("ip route add unreachable 10.68.0.0/24");
    peerSh("ip -6 route add unreachable fd68::/64");
}

void PeerNet::inPeer(const std::function<void()>& fn) {
    enter(peer_);
    try {
        fn();
    } catch (...) {
        enter(ours_);
        throw;
    }
    enter(ours_);
}

void PeerNet::peerSh(const std::string& cmd) {
    inPeer([&] { mustSh(cmd); });
}

}  // namespace weft::test
