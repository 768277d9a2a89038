// ICMP echo probes, IPv4 and IPv6, to live, silent and unreachable targets.
#include <gtest/gtest.h>

#include "peer_net.hpp"
#include "probe_run.hpp"

namespace weft::test {
namespace {

using Status = ProbeResult::Status;

void expectAnsweredWithRtt(const Address& target) {
    ProbeRun run;
    run.add(icmpProbe(target));
    run.run();
    ASSERT_TRUE(run.results()[0]) << target.str();
    const ProbeResult& r = *run.results()[0];
    EXPECT_EQ(r.status, Status::Ok) << target.str() << ": " << describe(r);
    EXPECT_GT(r.rtt.count(), 0) << target.str();
    EXPECT_LE(r.rtt, run.elapsed()[0]) << target.str();
    EXPECT_EQ(run.calls()[0], 1);
}

TEST(IcmpProbe, LoopbackAnswersV4AndV6) {
    expectAnsweredWithRtt(addr("127.0.0.1"));
    expectAnsweredWithRtt(addr("::1"));
}

TEST(IcmpProbe, VethPeerAnswersV4AndV6) {
    PeerNet::get();
    expectAnsweredWithRtt(addr("10.66.0.2"));
    expectAnsweredWithRtt(addr("fd66::2"));
}

TEST(IcmpProbe, SilentTargetTimesOut) {
    PeerNet::get();
    ProbeRun run;
    run.add(icmpProbe(addr("10.66.0.3"), 400ms));
    run.add(icmpProbe(addr("fd66::3"), 400ms));
    // A live probe beside them: its reply reaches their raw sockets too and must not count.
    run.add(icmpProbe(addr("10.66.0.2"), 400ms));
    run.run();
    for (size_t i : {0, 1}) {
        ASSERT_TRUE(run.results()[i]);
        EXPECT_EQ(run.results()[i]->status, Status::Timeout) << describe(*run.results()[i]);
        EXPECT_GE(run.elapsed()[i], 400ms);
        EXPECT_EQ(run.calls()[i], 1);
    }
    EXPECT_EQ(run.results()[2]->status, Status::Ok) << describe(*run.results()[2]);
}

TEST(IcmpProbe, UnreachableEndsTheProbeEarly) {
    PeerNet::get();
    ProbeRun run;
    run.add(icmpProbe(addr("10.68.0.5"), 5s));
    run.add(icmpProbe(addr("fd68::5"), 5s));
    run.run();
    const char* expected[] = {"host unreachable (ICMP from 10.66.0.2)",
                              "no route to destination (ICMPv6 from fd66::2)"};
    for (size_t i : {0, 1}) {
        ASSERT_TRUE(run.results()[i]);
        EXPECT_EQ(run.results()[i]->status, Status::Error) << describe(*run.results()[i]);
        EXPECT_EQ(run.results()[i]->error, expected[i]);
        EXPECT_LT(run.elapsed()[i], 2s);
    }
}

TEST(IcmpProbe, NoRouteIsAnError) {
    PeerNet::get();
    ProbeResult r = probeOnce(icmpProbe(addr("10.200.0.1")));
    EXPECT_EQ(r.status, Status::Error) << describe(r);
    EXPECT_EQ(r.error, "send: network is unreachable");
}

}  // namespace
}  // namespace weft::test
