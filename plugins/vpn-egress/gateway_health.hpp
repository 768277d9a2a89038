// vpn-egress: one gateway's health, from rounds of checks (all of a round's checks must pass).
#pragma once

#include <chrono>
#include <deque>
#include <string>

namespace weft::egress {

class GatewayHealth {
  public:
    enum class State { Unknown, Up, Down };

    GatewayHealth(unsigned failAfter = 3, unsigned recoverAfter = 3)
        : failAfter_(failAfter), recoverAfter_(recoverAfter) {}

    /// Records one round. Down after `failAfter` failed rounds in a row; up after
    /// `recoverAfter` passed ones — or at the first passed round while still Unknown (just
    /// started, nothing known: waiting longer would only delay the first flows). Returns true
    /// when the state changed.
    bool record(bool passed, const std::string& error, std::chrono::system_clock::time_point now);

    State state() const { return state_; }
    bool up() const { return state_ == State::Up; }
    /// Sets a state restored from before a restart (counters start afresh).
    void restore(State s) { state_ = s; }
    void setThresholds(unsigned failAfter, unsigned recoverAfter) {
        failAfter_ = failAfter;
        recoverAfter_ = recoverAfter;
    }

    /// The last rounds, oldest first: '+' passed, '-' failed.
    std::string history() const { return std::string(history_.begin(), history_.end()); }
    const std::string& lastError() const { return lastError_; }
    std::chrono::system_clock::time_point lastChange() const { return lastChange_; }

    static const char* name(State s);
    static State fromName(const std::string& s);

  private:
    unsigned failAfter_, recoverAfter_;
    State state_ = State::Unknown;
    unsigned fails_ = 0, passes_ = 0;
    std::deque<char> history_;
    std::string lastError_;
    std::chrono::system_clock::time_point lastChange_{};
};

}  // namespace weft::egress
