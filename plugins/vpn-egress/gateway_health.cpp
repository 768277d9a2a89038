#include "gateway_health.hpp"

namespace weft::egress {

namespace {
constexpr size_t kHistory = 20;
}

bool GatewayHealth::record(bool passed, const std::string& error,
                           std::chrono::system_clock::time_point now) {
    history_.push_back(passed ? '+' : '-');
    if (history_.size() > kHistory)
        history_.pop_front();
    if (passed) {
        ++passes_;
        fails_ = 0;
    } else {
        ++fails_;
        passes_ = 0;
        lastError_ = error;
    }
    State next = state_;
    if (passed && (state_ == State::Unknown || (state_ == State::Down && passes_ >= recoverAfter_)))
        next = State::Up;
    if (!passed && state_ != State::Down && fails_ >= failAfter_)
        next = State::Down;
    if (next == state_)
        return false;
    state_ = next;
    lastChange_ = now;
    return true;
}

const char* GatewayHealth::name(State s) {
    switch (s) {
        case State::Up:
            return "up";
        case State::Down:
            return "down";
        case State::Unknown:
            break;
    }
    return "unknown";
}

GatewayHealth::State GatewayHealth::fromName(const std::string& s) {
    return s == "up" ? State::Up : s == "down" ? State::Down : State::Unknown;
}

}  // namespace weft::egress
