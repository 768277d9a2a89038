// DNS probes against a tiny responder on loopback that this test runs on the same loop.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>

#include "peer_net.hpp"
#include "probe_run.hpp"
#include "test_servers.hpp"

namespace weft::test {
namespace {

using Status = ProbeResult::Status;

TEST(DnsProbe, ResponderAnswers) {
    for (const char* a : {"127.0.0.1", "::1"}) {
        ProbeRun run;
        DnsResponder responder(run.loop, addr(a));
        ProbeRequest request = dnsProbe(addr(a), responder.port());
        request.dnsName = "example.org";
        run.add(request);
        run.run();
        ASSERT_TRUE(run.results()[0]) << a;
        const ProbeResult& r = *run.results()[0];
        EXPECT_EQ(r.status, Status::Ok) << a << ": " << describe(r);
        EXPECT_GT(r.rtt.count(), 0);
        EXPECT_LE(r.rtt, run.elapsed()[0]);
        EXPECT_EQ(responder.queries(), 1);
        EXPECT_EQ(responder.lastQuestion(), "example.org A");
    }
}

TEST(DnsProbe, AnyResponseCountsEvenRefused) {
    ProbeRun run;
    DnsResponder refused(run.loop, addr("127.0.0.1"), {.rcode = 5});
    DnsResponder nxdomain(run.loop, addr("127.0.0.1"), {.rcode = 3});
    run.add(dnsProbe(addr("127.0.0.1"), refused.port()));
    run.add(dnsProbe(addr("127.0.0.1"), nxdomain.port()));
    run.run();
    for (size_t i : {0, 1}) {
        ASSERT_TRUE(run.results()[i]);
        EXPECT_EQ(run.results()[i]->status, Status::Ok) << describe(*run.results()[i]);
    }
}

TEST(DnsProbe, OtherIdOrNoResponseBitIsNoAnswer) {
    ProbeRun run;
    DnsResponder wrongId(run.loop, addr("127.0.0.1"), {.wrongId = true});
    DnsResponder echo(run.loop, addr("127.0.0.1"), {.setResponseBit = false});
    run.add(dnsProbe(addr("127.0.0.1"), wrongId.port(), 400ms));
    run.add(dnsProbe(addr("127.0.0.1"), echo.port(), 400ms));
    run.run();
    EXPECT_EQ(wrongId.queries(), 1);
    EXPECT_EQ(echo.queries(), 1);
    for (size_t i : {0, 1}) {
        ASSERT_TRUE(run.results()[i]);
        EXPECT_EQ(run.results()[i]->status, Status::Timeout) << describe(*run.results()[i]);
    }
}

TEST(DnsProbe, NobodyListeningIsAnError) {
    for (const char* a : {"127.0.0.1", "::1"}) {
        ClosedPort closed(addr(a), SOCK_DGRAM);
        ProbeResult r = probeOnce(dnsProbe(addr(a), closed.port()));
        EXPECT_EQ(r.status, Status::Error) << a << ": " << describe(r);
        EXPECT_EQ(r.error, "connection refused") << a;
    }
}

TEST(DnsProbe, InvalidNameIsAnError) {
    ProbeRequest request = dnsProbe(addr("127.0.0.1"), 53);
    request.dnsName = std::string(64, 'a') + ".example";  // a label longer than 63 bytes
    ProbeResult r = probeOnce(request);
    EXPECT_EQ(r.status, Status::Error) << describe(r);
    EXPECT_EQ(r.error, "invalid DNS name \"" + request.dnsName + "\"");
}

}  // namespace
}  // namespace weft::test
