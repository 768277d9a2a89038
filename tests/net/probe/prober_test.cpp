// The Prober itself: many probes at once, start() never blocks nor reports, cancel and
// destruction silence a probe and close its socket.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <memory>

#include "peer_net.hpp"
#include "probe_run.hpp"
#include "test_servers.hpp"

namespace weft::test {
namespace {

using Status = ProbeResult::Status;
using Clock = std::chrono::steady_clock;

// sd-event opens its timerfd with the first timer: open it before counting descriptors.
void warmUp(EventLoop& loop) {
    loop.cancel(loop.addTimer(1h, false, [] {}));
}

TEST(Prober, TwoHundredProbesInFlightAllComplete) {
    PeerNet::get();
    ProbeRun run;
    TcpListener listener(addr("127.0.0.1"));
    DnsResponder responder(run.loop, addr("127.0.0.1"));
    const Address live[] = {addr("127.0.0.1"), addr("::1"), addr("10.66.0.2"), addr("fd66::2")};
    // Silent targets first: the echo replies to all the others reach their raw sockets too.
    for (int i = 0; i < 10; ++i)
        run.add(icmpProbe(addr(i % 2 ? "10.66.0.3" : "fd66::3"), 1s));
    size_t silent = run.results().size();
    for (int i = 0; i < 50; ++i) {
        run.add(icmpProbe(live[i % 4], 5s));
        run.add(icmpProbe(live[(i + 1) % 4], 5s));
        run.add(tcpProbe(addr("127.0.0.1"), listener.port(), 5s));
        run.add(dnsProbe(addr("127.0.0.1"), responder.port(), 5s));
    }
    EXPECT_EQ(run.prober.inFlight(), 210u);

    run.run(20s);
    EXPECT_EQ(run.prober.inFlight(), 0u);
    EXPECT_EQ(responder.queries(), 50);
    for (size_t i = 0; i < run.results().size(); ++i) {
        ASSERT_TRUE(run.results()[i]) << "probe " << i << " never reported";
        EXPECT_EQ(run.calls()[i], 1) << i;
        Status expected = i < silent ? Status::Timeout : Status::Ok;
        EXPECT_EQ(run.results()[i]->status, expected) << i << ": " << describe(*run.results()[i]);
    }
}

TEST(Prober, StartReturnsAtOnceAndReportsLater) {
    PeerNet::get();
    ProbeRun run;
    TcpListener listener(addr("127.0.0.1"));
    ProbeRequest requests[] = {
        tcpProbe(addr("10.66.0.3"), 80, 800ms),  // silent: takes the whole timeout
        icmpProbe(addr("fd66::3"), 800ms),
        tcpProbe(addr("127.0.0.1"), listener.port()),  // connects at once on loopback
        tcpProbe(addr("10.200.0.1"), 80),              // fails at once: no route
    };
    for (const auto& request : requests) {
        auto before = Clock::now();
        size_t i = run.add(request);
        EXPECT_LT(Clock::now() - before, 50ms) << i;
        EXPECT_EQ(run.calls()[i], 0) << "probe " << i << " reported from inside start()";
    }
    run.run();
    EXPECT_EQ(run.results()[0]->status, Status::Timeout);
    EXPECT_EQ(run.results()[1]->status, Status::Timeout);
    EXPECT_GE(run.elapsed()[0], 800ms);
    EXPECT_EQ(run.results()[2]->status, Status::Ok) << describe(*run.results()[2]);
    EXPECT_EQ(run.results()[3]->status, Status::Error) << describe(*run.results()[3]);
    EXPECT_EQ(run.results()[3]->error, "connect: network is unreachable");
}

TEST(Prober, CancelledProbeNeverReportsAndClosesItsSocket) {
    ProbeRun run;
    TcpListener listener(addr("127.0.0.1"));
    DnsResponder responder(run.loop, addr("127.0.0.1"));
    warmUp(run.loop);
    size_t baseline = openFds();
    size_t a = run.add(icmpProbe(addr("127.0.0.1")));
    size_t b = run.add(tcpProbe(addr("127.0.0.1"), listener.port()));
    size_t c = run.add(dnsProbe(addr("127.0.0.1"), responder.port()));
    size_t d = run.add(tcpProbe(addr("127.0.0.1"), 0));  // fails at once: its report is pending
    EXPECT_EQ(openFds(), baseline + 3);
    for (size_t i : {a, b, c, d})
        run.cancel(i);
    run.cancel(a);  // twice: ignored
    EXPECT_EQ(run.prober.inFlight(), 0u);
    EXPECT_EQ(openFds(), baseline);
    // Something to wait for meanwhile, longer than any of the cancelled ones would take.
    size_t sentinel = run.add(icmpProbe(addr("127.0.0.1")));
    run.run();
    for (size_t i : {a, b, c, d})
        EXPECT_EQ(run.calls()[i], 0) << i;
    EXPECT_EQ(run.calls()[sentinel], 1);
    EXPECT_EQ(openFds(), baseline);
}

TEST(Prober, DestructorCancelsEverything) {
    EventLoop loop;
    TcpListener listener(addr("127.0.0.1"));
    warmUp(loop);
    size_t baseline = openFds();
    int calls = 0;
    {
        Prober prober(loop);
        auto count = [&](const ProbeResult&) { ++calls; };
        prober.start(icmpProbe(addr("127.0.0.1")), count);
        prober.start(tcpProbe(addr("127.0.0.1"), listener.port()), count);
        prober.start(tcpProbe(addr("127.0.0.1"), 0), count);
        EXPECT_EQ(openFds(), baseline + 2);
    }
    EXPECT_EQ(openFds(), baseline);
    loop.addTimer(300ms, false, [&] { loop.exit(0); });
    loop.run();
    EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace weft::test
