// TCP connect probes: a listening port, a closed one, a silent target.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "peer_net.hpp"
#include "probe_run.hpp"
#include "test_servers.hpp"

namespace weft::test {
namespace {

using Status = ProbeResult::Status;

TEST(TcpProbe, ListeningPortConnects) {
    for (const char* a : {"127.0.0.1", "::1"}) {
        TcpListener listener(addr(a));
        ProbeRun run;
        run.add(tcpProbe(addr(a), listener.port()));
        run.run();
        ASSERT_TRUE(run.results()[0]) << a;
        const ProbeResult& r = *run.results()[0];
        EXPECT_EQ(r.status, Status::Ok) << a << ": " << describe(r);
        EXPECT_GT(r.rtt.count(), 0) << a;
        EXPECT_LE(r.rtt, run.elapsed()[0]) << a;
        EXPECT_EQ(run.calls()[0], 1);
    }
}

TEST(TcpProbe, ClosedPortIsRefused) {
    for (const char* a : {"127.0.0.1", "::1"}) {
        ClosedPort closed(addr(a), SOCK_STREAM);
        ProbeResult r = probeOnce(tcpProbe(addr(a), closed.port()));
        EXPECT_EQ(r.status, Status::Error) << a << ": " << describe(r);
        EXPECT_EQ(r.error, "connection refused") << a;
    }
}

TEST(TcpProbe, SilentTargetTimesOut) {
    PeerNet::get();
    ProbeRun run;
    run.add(tcpProbe(addr("10.66.0.3"), 80, 400ms));
    run.add(tcpProbe(addr("fd66::3"), 80, 400ms));
    run.run();
    for (size_t i : {0, 1}) {
        ASSERT_TRUE(run.results()[i]);
        EXPECT_EQ(run.results()[i]->status, Status::Timeout) << describe(*run.results()[i]);
        EXPECT_GE(run.elapsed()[i], 400ms);
    }
}

TEST(TcpProbe, UnreachableIsAnError) {
    PeerNet::get();
    ProbeResult r = probeOnce(tcpProbe(addr("10.68.0.5"), 80, 5s));
    EXPECT_EQ(r.status, Status::Error) << describe(r);
    EXPECT_EQ(r.error, "no route to host");
}

TEST(TcpProbe, PortZeroIsAnError) {
    ProbeResult r = probeOnce(tcpProbe(addr("127.0.0.1"), 0));
    EXPECT_EQ(r.status, Status::Error) << describe(r);
    EXPECT_EQ(r.error, "TCP probe without a port");
}

}  // namespace
}  // namespace weft::test
