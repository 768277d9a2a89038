// SessionWatchdog alone, and the plugin restarting a stalled peer's session through the Host
// (FakeHost records the calls; its peer then has no handshake, as a re-added peer would not).
#include <gmock/gmock.h>

#include "mesh_fixture.hpp"
#include "session_watchdog.hpp"

namespace weft::mesh::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

struct Watchdog : ::testing::Test {
    SessionWatchdog dog;
    SessionWatchdog::TimePoint t0{std::chrono::seconds(1'700'000'000)};
    WireguardPeerStatus st{"k", std::nullopt, 1'700'000'000, 100, 100};
    bool at(std::chrono::seconds s) { return dog.stalled("b", st, 2s, t0 + s); }
};

TEST_F(Watchdog, StalledAfterTwoKeepalivesAndSlackWithoutAByte) {
    EXPECT_FALSE(at(0s));  // first reading: the clock starts
    EXPECT_FALSE(at(6s));
    EXPECT_TRUE(at(7s)) << "2 x 2 s + 3 s";
}

TEST_F(Watchdog, AnyByteReceivedStartsTheClockOver) {
    EXPECT_FALSE(at(0s));
    st.rxBytes += 32;
    EXPECT_FALSE(at(5s));
    EXPECT_FALSE(at(11s));
    EXPECT_TRUE(at(12s));
}

TEST_F(Watchdog, NoSessionOrNoKeepaliveIsNeverStalled) {
    EXPECT_FALSE(at(0s));
    st.lastHandshake = 0;
    EXPECT_FALSE(at(60s)) << "no session: WireGuard's to bring up";
    st.lastHandshake = 1'700'000'000;
    EXPECT_FALSE(dog.stalled("b", st, 0s, t0 + 60s)) << "no keepalives due: silence is normal";
}

TEST_F(Watchdog, ARestartStartsTheClockOverAndForgetStartsAfresh) {
    EXPECT_FALSE(at(0s));
    ASSERT_TRUE(at(7s));
    dog.restarted("b", t0 + 7s);
    EXPECT_FALSE(at(13s));
    EXPECT_TRUE(at(14s));
    dog.retain({});
    EXPECT_FALSE(at(30s)) << "forgotten: a first reading again";
}

class StalledPeer : public MeshTest {
  protected:
    void SetUp() override {
        MeshTest::SetUp();
        start("[Mesh]\nPersistentKeepalive=2s\n[Peer b]\nPublicKey=" + kb +
              "\nEndpoint=192.0.2.1:51820\nAllowedIPs=10.244.2.0/24\n[Peer c]\nPublicKey=" + kc +
              "\nEndpoint=192.0.2.9:51820\nAllowedIPs=10.244.3.0/24\n"
              "PersistentKeepalive=0\n");
    }
    void run(std::chrono::seconds d, bool bReceives) {
        for (auto s = 0s; s < d; s += 1s) {
            advance(1s);
            if (bReceives)
                status(kb)->rxBytes += 32;
            tick();
        }
    }
    std::string kb = newPublicKey(), kc = newPublicKey();
};

TEST_F(StalledPeer, GetsOneFreshSessionThenAnotherOnlyAfterItHandshakesAndStallsAgain) {
    status(kb)->lastHandshake = unixNow();
    status(kc)->lastHandshake = unixNow();
    tick();
    run(20s, true);
    EXPECT_THAT(host->sessionRestarts, IsEmpty()) << "b's keepalives arrive";

    run(6s, false);
    EXPECT_THAT(host->sessionRestarts, IsEmpty());
    run(1s, false);
    EXPECT_THAT(host->sessionRestarts, ElementsAre(kb)) << "2 x 2 s + 3 s of silence";
    EXPECT_EQ(status(kb)->lastHandshake, 0);
    EXPECT_THAT(host->logs.back(), ::testing::HasSubstr("peer b: nothing received"));

    run(60s, false);
    EXPECT_THAT(host->sessionRestarts, ElementsAre(kb)) << "no session now: nothing to restart";

    status(kb)->lastHandshake = unixNow();  // a new session, and it is dead too
    status(kb)->rxBytes += 92;              // the handshake response arrived
    run(7s, false);  // the 92 bytes are seen at the first of these ticks: 6 s of silence
    EXPECT_THAT(host->sessionRestarts, ElementsAre(kb));
    run(1s, false);
    EXPECT_THAT(host->sessionRestarts, ElementsAre(kb, kb));
    EXPECT_EQ(row("b").at("state"), "up") << "health keeps the last handshake";
}

}  // namespace
}  // namespace weft::mesh::test
