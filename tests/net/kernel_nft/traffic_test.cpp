// The expressions that decide packets, on real traffic: a peer namespace behind a veth sends
// to this test's namespace, where the engine applied the table.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <thread>

#include "nft_cli.hpp"

namespace weft::test {
namespace {

using namespace weft::nft;
using kernel::NftEngine;

Prefix P(const char* s) {
    return *Prefix::parse(s);
}

/// A listening (TCP) or bound (UDP) socket in this namespace, closed with the object.
struct Listener {
    int fd = -1;
    Listener(int family, int type, uint16_t port) {
        fd = socket(family, type | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_storage ss{};
        socklen_t len;
        if (family == AF_INET) {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            a->sin_port = htons(port);
            len = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(port);
            int v6only = 1;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
            len = sizeof *a;
        }
        EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&ss), len), 0) << port;
        if (type == SOCK_STREAM)
            listen(fd, 64);
    }
    ~Listener() { close(fd); }
};

class TrafficTest : public ::testing::Test {
  protected:
    std::string peer = "weft-nft-peer-" + std::to_string(getpid());

    void SetUp() override {
        resetRuleset();
        sh("ip netns del " + peer);
        ASSERT_EQ(sh("ip netns add " + peer).status, 0);
        ASSERT_EQ(sh("ip link add v0 type veth peer name v1 netns " + peer).status, 0);
        sh("ip addr add 10.9.0.1/24 dev v0 && ip -6 addr add fd09::1/64 dev v0 nodad && "
           "ip link set v0 up");
        sh("ip netns exec " + peer +
           " sh -c 'ip addr add 10.9.0.2/24 dev v1 && ip -6 addr add fd09::2/64 dev v1 nodad && "
           "ip link set v1 up && ip link set lo up'");
    }
    void TearDown() override {
        sh("ip netns del " + peer);  // takes v1 and with it v0
        resetRuleset();
        sh("conntrack -F");
    }
    /// Runs python3 code in the peer namespace; returns its output.
    std::string inPeer(const std::string& code) {
        std::string file = "/tmp/weft-nft-peer-" + std::to_string(getpid()) + ".py";
        FILE* f = fopen(file.c_str(), "w");
        fputs(code.c_str(), f);
        fclose(f);
        auto out = sh("ip netns exec " + peer + " python3 " + file).out;
        unlink(file.c_str());
        return out;
    }
    /// What a TCP connect from the peer to host:port meets: "ok" or an errno name.
    std::string connectFromPeer(const std::string& host, uint16_t port) {
        return inPeer(
            "import socket, errno\n"
            "fam = socket.AF_INET6 if ':' in '" +
            host +
            "' else socket.AF_INET\n"
            "s = socket.socket(fam, socket.SOCK_STREAM)\n"
            "s.settimeout(1.0)\n"
            "try:\n"
            "    s.connect(('" +
            host + "', " + std::to_string(port) +
            "))\n"
            "    print('ok', end='')\n"
            "except socket.timeout:\n"
            "    print('timeout', end='')\n"
            "except OSError as e:\n"
            "    print(errno.errorcode[e.errno], end='')\n");
    }
    /// What a UDP datagram from the peer to host:port meets: "answer", "timeout" or an errno.
    std::string udpFromPeer(const std::string& host, uint16_t port) {
        return inPeer(
            "import socket, errno\n"
            "fam = socket.AF_INET6 if ':' in '" +
            host +
            "' else socket.AF_INET\n"
            "s = socket.socket(fam, socket.SOCK_DGRAM)\n"
            "s.settimeout(1.0)\n"
            "s.connect(('" +
            host + "', " + std::to_string(port) +
            "))\n"
            "s.send(b'x')\n"
            "try:\n"
            "    s.recv(10)\n"
            "    print('answer', end='')\n"
            "except socket.timeout:\n"
            "    print('timeout', end='')\n"
            "except OSError as e:\n"
            "    print(errno.errorcode[e.errno], end='')\n");
    }
};

TEST_F(TrafficTest, RejectAnswersWithTheRightPacket) {
    Chain in{"in", BaseChain{ChainType::Filter, Hook::Input, 0, Verdict::Accept}, {}};
    in.rules = {
        Rule{}.l4proto(6).dport(PortRange{81, 81}).reject(Reject::Kind::TcpReset),
        Rule{}
            .family(Family::V4)
            .l4proto(6)
            .dport(PortRange{82, 82})
            .reject(Reject::Kind::AdminProhibited, Family::V4),
        Rule{}
            .family(Family::V6)
            .l4proto(17)
            .dport(PortRange{82, 82})
            .reject(Reject::Kind::AdminProhibited, Family::V6),
        Rule{}.l4proto(17).dport(PortRange{83, 83}).reject(),
        Rule{}.l4proto(6).dport(PortRange{84, 84}).reject(Reject::Kind::HostUnreachable),
    };
    NftEngine e(NftEngine::Options{false});
    auto r = e.apply("probe", {Table{TableFamily::Inet, "weft_t", {}, {in}}});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    // Something listens on each port, so only the rule can answer with an error.
    Listener t81(AF_INET, SOCK_STREAM, 81), t82(AF_INET, SOCK_STREAM, 82),
        u82v6(AF_INET6, SOCK_DGRAM, 82), u83(AF_INET, SOCK_DGRAM, 83),
        t84(AF_INET, SOCK_STREAM, 84), t85(AF_INET, SOCK_STREAM, 85),
        t85v6(AF_INET6, SOCK_STREAM, 85), u86v6(AF_INET6, SOCK_DGRAM, 86);
    std::thread echo([&] {  // answers one datagram on port 86, so "no rule" is seen to pass
        char buf[16];
        sockaddr_in6 from{};
        socklen_t len = sizeof from;
        timeval tv{3, 0};
        setsockopt(u86v6.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        auto n = recvfrom(u86v6.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0)
            sendto(u86v6.fd, buf, size_t(n), 0, reinterpret_cast<sockaddr*>(&from), len);
    });
    EXPECT_EQ(connectFromPeer("10.9.0.1", 85), "ok");  // no rule: connects
    EXPECT_EQ(connectFromPeer("fd09::1", 85), "ok");
    EXPECT_EQ(connectFromPeer("10.9.0.1", 81), "ECONNREFUSED");  // tcp reset
    EXPECT_EQ(connectFromPeer("10.9.0.1", 82), "EHOSTUNREACH");  // icmp admin-prohibited
    EXPECT_EQ(connectFromPeer("10.9.0.1", 84), "EHOSTUNREACH");  // icmpx host-unreachable
    EXPECT_EQ(udpFromPeer("10.9.0.1", 83), "ECONNREFUSED");      // icmpx port-unreachable
    // Linux's TCP ignores ICMPv6 errors to a SYN (the SYN is retried); UDP reports them.
    EXPECT_EQ(udpFromPeer("fd09::1", 82), "EACCES");  // icmpv6 admin-prohibited
    EXPECT_EQ(udpFromPeer("fd09::1", 86), "answer");  // no rule: the listener echoes
    echo.join();
}

TEST_F(TrafficTest, VerdictMapDispatchesByConcatenatedKey) {
    Set m{"dispatch", DataType::Ipv4Addr, DataType::Verdict, false, std::nullopt, {}};
    m.concat = {DataType::Ipv4Addr, DataType::InetService};
    auto el = [](uint16_t port, Verdict v, std::string chain = {}) {
        return Element{Concat{{P("10.9.0.2/32"), PortRange{port, port}}},
                       VerdictData{v, std::move(chain)}};
    };
    m.elements = {el(8080, Verdict::Accept), el(8081, Verdict::Drop),
                  el(8082, Verdict::Jump, "refuse")};
    Chain in{"in", BaseChain{ChainType::Filter, Hook::Input, 0, Verdict::Accept}, {}};
    in.rules = {
        Rule{}.family(Family::V4).l4proto(6).vmap({Field::IpSaddr, Field::Dport}, "dispatch")};
    Chain refuse{"refuse", std::nullopt, {Rule{}.reject(Reject::Kind::TcpReset)}};
    Table t{TableFamily::Inet, "weft_t", {m}, {in, refuse}};
    NftEngine e(NftEngine::Options{false});
    auto r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    Listener a(AF_INET, SOCK_STREAM, 8080), b(AF_INET, SOCK_STREAM, 8081),
        c(AF_INET, SOCK_STREAM, 8082), d(AF_INET, SOCK_STREAM, 8083);
    EXPECT_EQ(connectFromPeer("10.9.0.1", 8080), "ok");
    EXPECT_EQ(connectFromPeer("10.9.0.1", 8081), "timeout");
    EXPECT_EQ(connectFromPeer("10.9.0.1", 8082), "ECONNREFUSED");
    EXPECT_EQ(connectFromPeer("10.9.0.1", 8083), "ok");  // not in the map: the next rule
    // One element's verdict changes: one element replaced, the port opens.
    t.sets[0].elements.insert(el(8081, Verdict::Accept));
    r = e.apply("probe", {t});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(e.lastBatchStats().elements, 2u);  // its delete and its add
    EXPECT_EQ(connectFromPeer("10.9.0.1", 8081), "ok");
}

// Source port -> ct mark of 1,000 UDP flows, as conntrack lists them.
std::map<int, int> flowMarks() {
    std::map<int, int> out;
    std::istringstream in(sh("conntrack -L -p udp --dport 9999 2>/dev/null").out);
    std::string line;
    while (std::getline(in, line)) {
        auto s = line.find("sport="), m = line.find("mark=");
        if (s != std::string::npos && m != std::string::npos)
            out[std::stoi(line.substr(s + 6))] = std::stoi(line.substr(m + 5));
    }
    return out;
}

TEST_F(TrafficTest, JhashBucketMapSpreadsFlowsBySeed) {
    auto tableWithSeed = [](uint32_t seed) {
        Set buckets{"buckets", DataType::Mark, DataType::Mark, false, std::nullopt, {}};
        for (uint32_t b = 0; b < 4; ++b)
            buckets.elements.insert(Element{b, uint32_t(0x10 + b)});
        HashMark h;
        h.fields = {Field::IpSaddr, Field::Sport};
        h.modulus = 4;
        h.seed = seed;
        h.map = "buckets";
        h.target = MarkTarget::Ct;
        Chain pre{"pre", BaseChain{ChainType::Filter, Hook::Prerouting, -150, Verdict::Accept}, {}};
        pre.rules = {Rule{}.family(Family::V4).l4proto(17).ctState(CtNew).add(h)};
        return Table{TableFamily::Inet, "weft_t", {buckets}, {pre}};
    };
    const std::string send =
        "import socket\n"
        "for p in range(20000, 21000):\n"
        "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    s.bind(('10.9.0.2', p))\n"
        "    s.sendto(b'x', ('10.9.0.1', 9999))\n"
        "    s.close()\n";
    NftEngine e(NftEngine::Options{false});
    auto run = [&](uint32_t seed) {
        sh("conntrack -F");
        auto r = e.apply("probe", {tableWithSeed(seed)});
        EXPECT_TRUE(r.ok()) << r.errors[0];
        inPeer(send);
        return flowMarks();
    };
    auto first = run(0x5eed);
    ASSERT_EQ(first.size(), 1000u);
    std::map<int, int> perBucket;
    for (auto& [port, mark] : first)
        ++perBucket[mark];
    ASSERT_EQ(perBucket.size(), 4u);
    for (auto& [mark, n] : perBucket) {
        EXPECT_GE(mark, 0x10);
        EXPECT_LE(mark, 0x13);
        EXPECT_GT(n, 150) << "bucket " << mark << " got " << n << " of 1000 flows";
        EXPECT_LT(n, 350) << "bucket " << mark << " got " << n << " of 1000 flows";
    }
    EXPECT_EQ(run(0x5eed), first);  // the same seed chooses alike, flow by flow
    auto other = run(0xbeef);
    ASSERT_EQ(other.size(), 1000u);
    size_t moved = 0;
    for (auto& [port, mark] : other)
        moved += first[port] != mark;
    EXPECT_GT(moved, 500u);  // another seed is another spread (3/4 expected to move)
}

}  // namespace
}  // namespace weft::test
