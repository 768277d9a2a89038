// Peer health and endpoint rotation, driven by a fake WireGuard status and a fake clock, and
// AllowDownPeerBypass taking a down peer's prefixes out of the targets set.
#include <gmock/gmock.h>

#include "mesh_fixture.hpp"

namespace weft::mesh::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

class Rotation : public MeshTest {
  protected:
    void SetUp() override {
        MeshTest::SetUp();
        text = "[Mesh]\nEndpointTimeout=5s\nPeerDownAfter=30s\n[Peer b]\nPublicKey=" + kb +
               "\nEndpoint=192.0.2.1:51820\nEndpoint=192.0.2.2:51820\nEndpoint=192.0.2.3:51820\n"
               "AllowedIPs=10.244.2.0/24\n[Peer c]\nPublicKey=" +
               kc + "\nEndpoint=192.0.2.9:51820\nAllowedIPs=10.244.3.0/24\n";
        start(text);
    }
    std::string endpointOfB() { return desiredPeer(kb)->endpoint->str(); }
    /// Advances the clock in one-second timer steps.
    void run(std::chrono::seconds d) {
        for (auto s = 0s; s < d; s += 1s) {
            advance(1s);
            tick();
        }
    }
    std::string kb = newPublicKey(), kc = newPublicKey();
    std::string text;
};

TEST_F(Rotation, NoRotationBeforeTheKernelHasThePeer) {
    run(60s);  // no link yet: wireguardStatus() is nullopt
    EXPECT_EQ(endpointOfB(), "192.0.2.1:51820");
    host->wgStatus["weft0"] = {};
    run(60s);  // a link without the peer
    EXPECT_EQ(endpointOfB(), "192.0.2.1:51820");
}

TEST_F(Rotation, MovesRoundRobinWithoutHandshakeAndStaysOnOneThatWorks) {
    status(kb);
    status(kc);
    tick();  // first sight: the first candidate's clock starts now
    unsigned reconciles = host->reconcileRequests;
    run(4s);
    EXPECT_EQ(endpointOfB(), "192.0.2.1:51820");
    EXPECT_EQ(host->reconcileRequests, reconciles);
    run(1s);
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820");
    EXPECT_EQ(host->reconcileRequests, reconciles + 1);
    EXPECT_EQ(row("b").at("endpoint"), "192.0.2.2:51820");
    run(5s);
    EXPECT_EQ(endpointOfB(), "192.0.2.3:51820");
    run(5s);
    EXPECT_EQ(endpointOfB(), "192.0.2.1:51820") << "round-robin";
    run(5s);
    ASSERT_EQ(endpointOfB(), "192.0.2.2:51820");
    EXPECT_EQ(desiredPeer(kc)->endpoint, E("192.0.2.9:51820")) << "one candidate never moves";

    run(2s);
    status(kb)->lastHandshake = unixNow();  // 192.0.2.2 answers
    run(20s);
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820") << "stays while the peer is up";
    status(kb)->lastHandshake = unixNow();
    run(29s);
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820");
    run(1s);  // the handshake is now PeerDownAfter old: the peer is down, rotation resumes
    EXPECT_EQ(row("b").at("state"), "down");
    EXPECT_EQ(endpointOfB(), "192.0.2.3:51820");
}

TEST_F(Rotation, HandshakeBeforeTheSwitchDoesNotCount) {
    status(kb)->lastHandshake = unixNow() - 100;  // an old session via another address
    tick();
    run(5s);
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820");
}

TEST_F(Rotation, ARestartKeepsTheCandidateThatWorks) {
    status(kb);
    tick();
    run(10s);
    ASSERT_EQ(endpointOfB(), "192.0.2.3:51820");
    status(kb)->endpoint = E("192.0.2.3:51820");
    status(kb)->lastHandshake = unixNow();
    run(3s);
    auto kernel = host->wgStatus;
    start(text);  // weftd restarted; the link and its peers stayed
    host->wgStatus = kernel;
    EXPECT_EQ(endpointOfB(), "192.0.2.3:51820") << "the first reconcile keeps it";
    EXPECT_EQ(row("b").at("endpoint"), "192.0.2.3:51820");
    run(20s);
    EXPECT_EQ(endpointOfB(), "192.0.2.3:51820");
}

TEST_F(Rotation, ARestartAdoptsTheKernelsCandidateAndRotatesOnFromIt) {
    status(kb)->endpoint = E("192.0.2.2:51820");  // never answered, as before the restart
    start(text);
    host->wgStatus["weft0"] = {WireguardPeerStatus{kb, E("192.0.2.2:51820"), 0, 0, 0}};
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820");
    run(4s);
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820");
    run(1s);
    EXPECT_EQ(endpointOfB(), "192.0.2.3:51820") << "the next one after the kernel's";
}

TEST_F(Rotation, AnUpPeerKeepsTheEndpointWireGuardRoamedTo) {
    WireguardPeerStatus* s = status(kb);
    s->endpoint = E("192.0.2.1:51820");
    s->lastHandshake = unixNow();
    tick();
    ASSERT_EQ(row("b").at("state"), "up");
    unsigned reconciles = host->reconcileRequests;
    // Authenticated packets came from another address: WireGuard moved the endpoint there.
    s->endpoint = E("203.0.113.7:40000");
    EXPECT_EQ(endpointOfB(), "203.0.113.7:40000") << "a reconcile between two ticks";
    tick();
    EXPECT_EQ(row("b").at("endpoint"), "203.0.113.7:40000");
    for (int i = 0; i < 4; ++i) {
        run(5s);
        status(kb)->lastHandshake = unixNow();
    }
    EXPECT_EQ(endpointOfB(), "203.0.113.7:40000");
    status(kb)->endpoint = E("192.0.2.2:51820");  // roamed again, onto a candidate
    tick();
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820");
    EXPECT_EQ(host->reconcileRequests, reconciles) << "nothing to tell the kernel";

    run(30s);  // no handshake for PeerDownAfter: down, and rotation goes on from there
    EXPECT_EQ(row("b").at("state"), "down");
    EXPECT_EQ(endpointOfB(), "192.0.2.3:51820");
    EXPECT_EQ(host->reconcileRequests, reconciles + 1);
}

TEST_F(Rotation, ARoamedEndpointGoesBackToTheCandidatesWhenThePeerIsDown) {
    WireguardPeerStatus* s = status(kb);
    s->endpoint = E("203.0.113.7:40000");
    s->lastHandshake = unixNow();
    tick();
    EXPECT_EQ(endpointOfB(), "203.0.113.7:40000");
    run(30s);
    EXPECT_EQ(endpointOfB(), "192.0.2.1:51820");
}

TEST_F(Rotation, AHandshakeResetKeepsTheWorkingEndpoint) {
    status(kb);
    tick();
    run(5s);
    ASSERT_EQ(endpointOfB(), "192.0.2.2:51820");
    status(kb)->endpoint = E("192.0.2.2:51820");
    status(kb)->lastHandshake = unixNow();
    run(10s);
    status(kb)->lastHandshake = 0;  // wireguard-go restarted: the peer is re-added, no session
    tick();
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820");
    run(15s);
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820") << "up until PeerDownAfter after the last one";
    status(kb)->lastHandshake = unixNow();
    run(25s);
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820");
}

TEST_F(Rotation, AHandshakeResetRestartsTheClockOfAPeerThatIsNotUp) {
    status(kb)->lastHandshake = unixNow() - 100;
    tick();
    run(4s);
    status(kb)->lastHandshake = 0;
    run(1s);
    EXPECT_EQ(endpointOfB(), "192.0.2.1:51820") << "a fresh chance after the reset";
    run(4s);
    EXPECT_EQ(endpointOfB(), "192.0.2.1:51820");
    run(1s);
    EXPECT_EQ(endpointOfB(), "192.0.2.2:51820") << "EndpointTimeout after the reset";
}

TEST_F(MeshTest, HealthGoesUnknownUpDownUpWithSignals) {
    std::string kb = newPublicKey();
    start("[Mesh]\nPeerDownAfter=10s\n[Peer b]\nPublicKey=" + kb + "\n");
    EXPECT_EQ(row("b").at("state"), "unknown");
    status(kb);
    tick();
    EXPECT_THAT(stateSignals(), IsEmpty()) << "unknown at first";
    WireguardPeerStatus* s = status(kb);
    s->lastHandshake = unixNow();
    s->rxBytes = 1234;
    s->txBytes = 5678;
    host->busObject.changed.clear();
    advance(1s);
    tick();
    EXPECT_THAT(stateSignals(), ElementsAre("b=up"));
    EXPECT_THAT(host->busObject.changed, ElementsAre("Peers"));
    auto r = row("b");
    EXPECT_EQ(r.at("state"), "up");
    EXPECT_EQ(r.at("lastHandshake"), std::to_string(unixNow() - 1));
    EXPECT_EQ(r.at("rxBytes"), "1234");
    EXPECT_EQ(r.at("txBytes"), "5678");

    advance(8s);
    tick();
    EXPECT_THAT(stateSignals(), ElementsAre("b=up")) << "9 s old: still up";
    advance(1s);
    tick();
    EXPECT_THAT(stateSignals(), ElementsAre("b=up", "b=down"));
    EXPECT_EQ(row("b").at("state"), "down");
    tick();
    EXPECT_EQ(stateSignals().size(), 2u) << "one signal per change";
    status(kb)->lastHandshake = unixNow();
    tick();
    EXPECT_THAT(stateSignals(), ElementsAre("b=up", "b=down", "b=up"));
}

TEST_F(MeshTest, APeerThatNeverAnswersIsUnknownThenDown) {
    std::string kb = newPublicKey();
    start("[Mesh]\nPeerDownAfter=10s\n[Peer b]\nPublicKey=" + kb + "\n");
    advance(9s);
    tick();  // no link at all: health still runs on time
    EXPECT_EQ(row("b").at("state"), "unknown");
    advance(1s);
    tick();
    EXPECT_EQ(row("b").at("state"), "down");
    EXPECT_THAT(stateSignals(), ElementsAre("b=down"));
}

TEST_F(MeshTest, ALateRuntimePeerGetsItsOwnGracePeriod) {
    start("[Mesh]\nPeerDownAfter=10s\n");
    advance(60s);
    std::string kd = newPublicKey();
    host->busObject.call("AddPeer", {std::string("d"), kd, std::vector<std::string>{},
                                     std::vector<std::string>{}, uint32_t(0)});
    advance(9s);
    tick();
    EXPECT_EQ(row("d").at("state"), "unknown");
    advance(1s);
    tick();
    EXPECT_EQ(row("d").at("state"), "down");
}

TEST_F(MeshTest, BypassTakesADownPeersPrefixesOutAndBack) {
    std::string kb = newPublicKey(), kc = newPublicKey();
    std::string peers = "[Peer b]\nPublicKey=" + kb +
                        "\nAllowedIPs=10.244.2.0/24\n[Peer c]\n"
                        "PublicKey=" +
                        kc + "\nAllowedIPs=10.244.3.0/24 fd00:244:3::/64\n";
    start("[Mesh]\nPeerDownAfter=10s\nAllowDownPeerBypass=yes\n" + peers);
    PrefixSet all{P("10.244.2.0/24"), P("10.244.3.0/24"), P("fd00:244:3::/64")};
    EXPECT_EQ(targets(), all) << "unknown peers stay in the set";
    status(kb)->lastHandshake = unixNow();
    status(kc)->lastHandshake = unixNow();
    tick();
    advance(5s);
    status(kb)->lastHandshake = unixNow();  // b keeps handshaking, c goes quiet
    advance(5s);
    tick();
    EXPECT_EQ(row("c").at("state"), "down");
    EXPECT_EQ(targets(), PrefixSet{P("10.244.2.0/24")});
    size_t published = host->publications.size();
    tick();
    EXPECT_EQ(host->publications.size(), published) << "no change, no publication";
    status(kc)->lastHandshake = unixNow();
    tick();
    EXPECT_EQ(row("c").at("state"), "up");
    EXPECT_EQ(targets(), all);

    // Without bypass a down peer keeps its prefixes: its traffic must not leak in clear.
    reload("[Mesh]\nPeerDownAfter=10s\n" + peers);
    advance(10s);
    tick();
    EXPECT_EQ(row("c").at("state"), "down");
    EXPECT_EQ(targets(), all);
}

TEST_F(MeshTest, AKernelResetKeepsTheLastHandshakeHealthAndTargets) {
    std::string kb = newPublicKey();
    start("[Mesh]\nPeerDownAfter=10s\nAllowDownPeerBypass=yes\n[Peer b]\nPublicKey=" + kb +
          "\nAllowedIPs=10.244.2.0/24\n");
    for (int i = 0; i < 3; ++i) {
        status(kb)->lastHandshake = unixNow();
        advance(5s);
        tick();
    }
    ASSERT_EQ(row("b").at("state"), "up");
    int64_t last = unixNow() - 5;
    size_t published = host->publications.size();
    status(kb)->lastHandshake = 0;  // wireguard-go restarted
    status(kb)->rxBytes = 0;
    tick();
    EXPECT_EQ(row("b").at("state"), "up");
    EXPECT_EQ(row("b").at("lastHandshake"), std::to_string(last));
    EXPECT_THAT(stateSignals(), ElementsAre("b=up"));
    EXPECT_EQ(host->publications.size(), published);
    EXPECT_TRUE(targets().contains(P("10.244.2.0/24")));
    advance(4s);
    tick();
    EXPECT_EQ(row("b").at("state"), "up");
    advance(1s);
    tick();
    EXPECT_EQ(row("b").at("state"), "down") << "by time, PeerDownAfter after the last handshake";
    EXPECT_FALSE(targets().contains(P("10.244.2.0/24")));
}

TEST(MeshEndpointRotation, UsesTheUnitsItIsGiven) {
    EndpointRotation r;
    std::vector<Endpoint> c{E("192.0.2.1:1"), E("192.0.2.2:1")};
    TimePoint t0{std::chrono::seconds(1000)};
    EndpointRotation::Timing timing{1500ms, 10s};
    WireguardPeerStatus kernel{"k", c[0], 0, 0, 0};
    EXPECT_FALSE(r.rotate("p", c, t0, timing)) << "not in the kernel yet";
    EXPECT_FALSE(r.observe("p", c, kernel, t0, timing));
    EXPECT_FALSE(r.rotate("p", c, t0 + 1499ms, timing));
    EXPECT_TRUE(r.rotate("p", c, t0 + 1500ms, timing));
    EXPECT_EQ(r.current("p", c), c[1]);
    r.forget("p");
    EXPECT_EQ(r.current("p", c), c[0]);
    EXPECT_EQ(r.current("p", {}), std::nullopt);
}

}  // namespace
}  // namespace weft::mesh::test
