// Probes sent out of a chosen interface (SO_BINDTODEVICE) or with a fwmark (SO_MARK).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "peer_net.hpp"
#include "probe_run.hpp"
#include "test_servers.hpp"

namespace weft::test {
namespace {

using Status = ProbeResult::Status;

ProbeRequest viaInterface(ProbeRequest r, const char* interface) {
    r.interface = interface;
    return r;
}

ProbeRequest withMark(ProbeRequest r, uint32_t mark) {
    r.fwmark = mark;
    return r;
}

class ProbeRouting : public ::testing::Test {
  protected:
    void SetUp() override {
        PeerNet::get().inPeer([&] { listener_.emplace(addr("0.0.0.0")); });
    }
    uint16_t peerPort() const { return listener_->port(); }

  private:
    std::optional<TcpListener> listener_;  // in the peer namespace, on every address
};

TEST_F(ProbeRouting, BoundToTheVethReachesThePeer) {
    ProbeRun run;
    run.add(viaInterface(icmpProbe(addr("10.66.0.2")), kOurLink));
    run.add(viaInterface(icmpProbe(addr("fd66::2")), kOurLink));
    run.add(viaInterface(tcpProbe(addr("10.66.0.2"), peerPort()), kOurLink));
    run.run();
    for (size_t i = 0; i < 3; ++i) {
        ASSERT_TRUE(run.results()[i]) << i;
        EXPECT_EQ(run.results()[i]->status, Status::Ok) << i << ": " << describe(*run.results()[i]);
    }
}

TEST_F(ProbeRouting, BoundToAnotherInterfaceDoesNot) {
    ProbeRun run;
    run.add(viaInterface(icmpProbe(addr("10.66.0.2"), 500ms), kDeadEndLink));
    run.add(viaInterface(icmpProbe(addr("fd66::2"), 500ms), kDeadEndLink));
    run.add(viaInterface(tcpProbe(addr("10.66.0.2"), peerPort(), 500ms), kDeadEndLink));
    run.run();
    for (size_t i = 0; i < 3; ++i) {
        ASSERT_TRUE(run.results()[i]) << i;
        EXPECT_NE(run.results()[i]->status, Status::Ok) << i << ": " << describe(*run.results()[i]);
    }
}

TEST_F(ProbeRouting, UnknownInterfaceIsAnError) {
    ProbeRun run;
    run.add(viaInterface(icmpProbe(addr("127.0.0.1")), "nosuch0"));
    run.add(viaInterface(tcpProbe(addr("127.0.0.1"), 80), "nosuch0"));
    run.add(viaInterface(dnsProbe(addr("127.0.0.1"), 53), "nosuch0"));
    run.run();
    for (size_t i = 0; i < 3; ++i) {
        ASSERT_TRUE(run.results()[i]) << i;
        EXPECT_EQ(run.results()[i]->status, Status::Error) << i;
        EXPECT_EQ(run.results()[i]->error, "unknown interface \"nosuch0\"") << i;
    }
}

TEST_F(ProbeRouting, FwmarkSelectsThePolicyRoute) {
    // 10.67.0.2 is only in table 166, which only marked packets look up.
    ProbeRun run;
    size_t icmpMarked = run.add(withMark(icmpProbe(addr("10.67.0.2"), 1s), kPeerMark));
    size_t icmpPlain = run.add(icmpProbe(addr("10.67.0.2"), 1s));
    size_t tcpMarked = run.add(withMark(tcpProbe(addr("10.67.0.2"), peerPort(), 1s), kPeerMark));
    size_t tcpPlain = run.add(tcpProbe(addr("10.67.0.2"), peerPort(), 1s));
    size_t otherMark = run.add(withMark(icmpProbe(addr("10.67.0.2"), 1s), kPeerMark + 1));
    run.run();
    for (size_t i : {icmpMarked, tcpMarked}) {
        ASSERT_TRUE(run.results()[i]) << i;
        EXPECT_EQ(run.results()[i]->status, Status::Ok) << i << ": " << describe(*run.results()[i]);
    }
    // Without the mark (or with another) main has no route: the send fails.
    for (size_t i : {icmpPlain, tcpPlain, otherMark}) {
        ASSERT_TRUE(run.results()[i]) << i;
        EXPECT_EQ(run.results()[i]->status, Status::Error) << i;
        EXPECT_THAT(run.results()[i]->error, ::testing::EndsWith("network is unreachable")) << i;
    }
}

}  // namespace
}  // namespace weft::test
