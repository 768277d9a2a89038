// Real TCP connections over loopback, tracked by the kernel: deleting a connection's entry
// cuts it (a rule drops mid-stream packets that find no entry), the others keep working.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>

#include "ct_cli.hpp"
#include "kernel/conntrack/conntrack_table.hpp"
#include "test_flows.hpp"

using namespace weft;
using namespace weft::test;

namespace {

// An fd closed with its owner.
class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    ~Fd() {
        if (fd_ >= 0)
            close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

// An established loopback TCP connection: client and accepted server end.
struct Connection {
    Fd listener, client, server;
    uint16_t port = 0;
};

Connection connectLoopback() {
    Connection c;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c.listener = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    socklen_t len = sizeof addr;
    if (bind(c.listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(c.listener.get(), 1) != 0 ||
        getsockname(c.listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return c;
    c.client = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(c.client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return c;
    c.server = Fd(accept4(c.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    c.port = ntohs(addr.sin_port);
    return c;
}

// Sends `text` from the client; true if the server receives it within `ms`.
bool getsThrough(const Connection& c, const std::string& text, int ms) {
    if (send(c.client.get(), text.data(), text.size(), MSG_NOSIGNAL) != ssize_t(text.size()))
        return false;
    pollfd p{c.server.get(), POLLIN, 0};
    if (poll(&p, 1, ms) != 1)
        return false;
    char buf[64];
    ssize_t n = recv(c.server.get(), buf, sizeof buf, 0);
    return n > 0 && std::string(buf, size_t(n)) == text;
}

class RealFlows : public ::testing::Test {
  protected:
    void SetUp() override {
        flushFlows();
        // Conntrack tracks this namespace once a rule uses it. A packet of an established
        // connection that finds no entry is picked up as "new" without SYN: dropped.
        auto r =
            sh("nft 'add table inet weft_ct_test; "
               "add chain inet weft_ct_test out "
               "{ type filter hook output priority 0; policy accept; }; "
               "add rule inet weft_ct_test out ct state invalid drop; "
               "add rule inet weft_ct_test out ct state new tcp flags != syn drop'");
        ASSERT_EQ(r.status, 0) << r.out;
    }
    void TearDown() override {
        sh("nft delete table inet weft_ct_test");
        flushFlows();
    }
    kernel::ConntrackTable table;
};

TEST_F(RealFlows, DeletingAConnectionsEntryCutsItAndSparesTheOthers) {
    Connection a = connectLoopback(), b = connectLoopback();
    ASSERT_NE(a.port, 0);
    ASSERT_NE(b.port, 0);
    ASSERT_TRUE(getsThrough(a, "a1", 2000));
    ASSERT_TRUE(getsThrough(b, "b1", 2000));
    std::string portA = std::to_string(a.port), portB = std::to_string(b.port);
    ASSERT_EQ(countFlows("-p tcp --dport " + portA), 1u);
    ASSERT_EQ(countFlows("-p tcp --dport " + portB), 1u);

    FlowFilter f;
    f.protocol = IPPROTO_TCP;
    f.destination = prefix("127.0.0.1/32");
    f.destinationPort = PortRange{a.port, a.port};
    EXPECT_EQ(table.deleteFlows(f), 1u);

    EXPECT_EQ(countFlows("-p tcp --dport " + portA), 0u);
    EXPECT_FALSE(getsThrough(a, "a2", 1500));
    EXPECT_TRUE(getsThrough(b, "b2", 2000));
    EXPECT_EQ(countFlows("-p tcp --dport " + portB), 1u);
}

TEST_F(RealFlows, ARuleSetMarkCountsAndDeletes) {
    Connection a = connectLoopback(), b = connectLoopback();
    ASSERT_NE(a.port, 0);
    ASSERT_NE(b.port, 0);
    // From now on b's packets mark its flow 0x4200, as a plugin's rule would.
    auto r = sh("nft add rule inet weft_ct_test out tcp dport " + std::to_string(b.port) +
                " ct mark set 0x4200");
    ASSERT_EQ(r.status, 0) << r.out;
    ASSERT_TRUE(getsThrough(a, "a1", 2000));
    ASSERT_TRUE(getsThrough(b, "b1", 2000));
    EXPECT_EQ(table.countByMark(0xff00, Family::V4),
              (std::map<uint32_t, uint64_t>{{0x0000, 1}, {0x4200, 1}}));
    EXPECT_EQ(table.countByMark(0xff00, Family::V6), (std::map<uint32_t, uint64_t>{}));

    FlowFilter f;
    f.ctMark = Mark{0x4200, 0xff00};
    EXPECT_EQ(table.deleteFlows(f), 1u);
    EXPECT_EQ(countFlows("-m 0x4200"), 0u);
    EXPECT_FALSE(getsThrough(b, "b2", 1500));
    EXPECT_TRUE(getsThrough(a, "a2", 2000));
}

}  // namespace
