// GatewayHealth: Unknown -> Up at the first pass, FailAfter / RecoverAfter counted in a row,
// the history string and the last error.
#include <gtest/gtest.h>

#include "gateway_health.hpp"

namespace weft::egress {
namespace {

using State = GatewayHealth::State;
using Clock = std::chrono::system_clock;

class Health : public ::testing::Test {
  protected:
    // One round at a new time; returns whether the state changed.
    bool pass(GatewayHealth& h) { return h.record(true, "", next()); }
    bool fail(GatewayHealth& h, const std::string& why = "timeout") {
        return h.record(false, why, next());
    }
    Clock::time_point next() { return now += std::chrono::seconds(1); }
    Clock::time_point now{std::chrono::seconds(1'700'000'000)};
};

TEST_F(Health, UnknownGoesUpAtTheFirstPassedRound) {
    GatewayHealth h(3, 3);
    EXPECT_EQ(h.state(), State::Unknown);
    EXPECT_FALSE(h.up());
    EXPECT_EQ(h.lastChange(), Clock::time_point{}) << "never changed yet";
    EXPECT_TRUE(pass(h));
    EXPECT_EQ(h.state(), State::Up);
    EXPECT_EQ(h.lastChange(), now);
    EXPECT_FALSE(pass(h)) << "no change, no report";
}

TEST_F(Health, UnknownGoesDownAfterFailAfterRounds) {
    GatewayHealth h(3, 3);
    EXPECT_FALSE(fail(h));
    EXPECT_FALSE(fail(h));
    EXPECT_EQ(h.state(), State::Unknown);
    EXPECT_TRUE(fail(h));
    EXPECT_EQ(h.state(), State::Down);
}

TEST_F(Health, UpGoesDownOnlyAfterFailAfterFailuresInARow) {
    GatewayHealth h(3, 2);
    pass(h);
    fail(h);
    fail(h);
    pass(h);  // resets the count
    EXPECT_FALSE(fail(h));
    EXPECT_FALSE(fail(h));
    EXPECT_EQ(h.state(), State::Up);
    auto before = now;
    EXPECT_TRUE(fail(h));
    EXPECT_EQ(h.state(), State::Down);
    EXPECT_GT(h.lastChange(), before);
    EXPECT_FALSE(fail(h)) << "already down";
}

TEST_F(Health, DownRecoversOnlyAfterRecoverAfterPassesInARow) {
    GatewayHealth h(1, 3);
    pass(h);
    ASSERT_TRUE(fail(h));
    pass(h);
    pass(h);
    fail(h);  // resets the count
    EXPECT_FALSE(pass(h));
    EXPECT_FALSE(pass(h));
    EXPECT_EQ(h.state(), State::Down);
    EXPECT_TRUE(pass(h));
    EXPECT_EQ(h.state(), State::Up);
}

TEST_F(Health, ThresholdsOfOneFlipAtOnce) {
    GatewayHealth h(1, 1);
    EXPECT_TRUE(fail(h));
    EXPECT_TRUE(pass(h));
    EXPECT_TRUE(fail(h));
    EXPECT_EQ(h.state(), State::Down);
}

TEST_F(Health, NewThresholdsApplyToTheNextRounds) {
    GatewayHealth h(3, 3);
    pass(h);
    h.setThresholds(1, 5);
    EXPECT_TRUE(fail(h));
    for (int i = 0; i < 4; ++i)
        EXPECT_FALSE(pass(h)) << i;
    EXPECT_TRUE(pass(h));
}

TEST_F(Health, HistoryIsTheLastRoundsNewestLast) {
    GatewayHealth h(3, 3);
    EXPECT_EQ(h.history(), "");
    pass(h);
    pass(h);
    fail(h);
    pass(h);
    EXPECT_EQ(h.history(), "++-+");
    for (int i = 0; i < 100; ++i)
        i % 3 ? pass(h) : fail(h, "x");
    std::string hist = h.history();
    EXPECT_GE(hist.size(), 6u);
    EXPECT_LE(hist.size(), 64u) << "bounded";
    // Rounds 94..99: those with i % 3 == 0 (96, 99) failed.
    EXPECT_EQ(hist.substr(hist.size() - 6), "++-++-");
}

TEST_F(Health, LastErrorIsTheLatestFailuresReason) {
    GatewayHealth h(2, 2);
    EXPECT_EQ(h.lastError(), "");
    pass(h);
    fail(h, "icmp:10.64.0.1: timeout");
    EXPECT_EQ(h.lastError(), "icmp:10.64.0.1: timeout");
    fail(h, "tcp:10.64.0.1:443: connection refused");
    EXPECT_EQ(h.lastError(), "tcp:10.64.0.1:443: connection refused");
    pass(h);
    EXPECT_EQ(h.lastError(), "tcp:10.64.0.1:443: connection refused")
        << "kept after recovery: why it was last down";
}

TEST_F(Health, RestoredStateNeedsItsUsualCounts) {
    GatewayHealth down(3, 2);
    down.restore(State::Down);
    EXPECT_FALSE(pass(down)) << "a restored Down is not Unknown: one pass is not enough";
    EXPECT_TRUE(pass(down));
    GatewayHealth up(2, 2);
    up.restore(State::Up);
    EXPECT_TRUE(up.up());
    EXPECT_FALSE(fail(up));
    EXPECT_TRUE(fail(up));
}

TEST(GatewayHealthNames, RoundTrip) {
    for (State s : {State::Unknown, State::Up, State::Down})
        EXPECT_EQ(GatewayHealth::fromName(GatewayHealth::name(s)), s);
    EXPECT_STREQ(GatewayHealth::name(State::Up), "up");
    EXPECT_STREQ(GatewayHealth::name(State::Down), "down");
    EXPECT_STREQ(GatewayHealth::name(State::Unknown), "unknown");
    EXPECT_EQ(GatewayHealth::fromName("garbage"), State::Unknown);
}

}  // namespace
}  // namespace weft::egress
