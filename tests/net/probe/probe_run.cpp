#include "probe_run.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace weft::test {

namespace {

ProbeRequest request(ProbeRequest::Kind kind, const Address& target, uint16_t port,
                     std::chrono::milliseconds timeout) {
    ProbeRequest r;
    r.kind = kind;
    r.target = target;
    r.port = port;
    r.timeout = timeout;
    return r;
}

}  // namespace

ProbeRequest icmpProbe(const Address& target, std::chrono::milliseconds timeout) {
    return request(ProbeRequest::Kind::IcmpEcho, target, 0, timeout);
}

ProbeRequest tcpProbe(const Address& target, uint16_t port, std::chrono::milliseconds timeout) {
    return request(ProbeRequest::Kind::TcpConnect, target, port, timeout);
}

ProbeRequest dnsProbe(const Address& target, uint16_t port, std::chrono::milliseconds timeout) {
    return request(ProbeRequest::Kind::Dns, target, port, timeout);
}

size_t ProbeRun::add(const ProbeRequest& request) {
    size_t index = results_.size();
    results_.emplace_back();
    calls_.push_back(0);
    elapsed_.emplace_back(0);
    cancelled_.push_back(false);
    ++waiting_;
    auto started = std::chrono::steady_clock::now();
    ids_.push_back(prober.start(request, [this, index, started](const ProbeResult& r) {
        elapsed_[index] = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - started);
        results_[index] = r;
        if (calls_[index]++ == 0)
            delivered();
    }));
    return index;
}

void ProbeRun::cancel(size_t index) {
    prober.cancel(ids_[index]);
    if (!cancelled_[index] && calls_[index] == 0) {
        cancelled_[index] = true;
        delivered();
    }
}

void ProbeRun::delivered() {
    if (--waiting_ > 0 || graceArmed_)
        return;
    graceArmed_ = true;
    loop.addTimer(100ms, false, [this] { loop.exit(0); });
}

std::chrono::milliseconds ProbeRun::run(std::chrono::milliseconds limit) {
    auto limitTimer = loop.addTimer(limit, false, [this] { loop.exit(1); });
    if (waiting_ == 0 && !graceArmed_) {
        graceArmed_ = true;
        loop.addTimer(100ms, false, [this] { loop.exit(0); });
    }
    auto start = std::chrono::steady_clock::now();
    loop.run();
    loop.cancel(limitTimer);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

std::string describe(const ProbeResult& r) {
    switch (r.status) {
        case ProbeResult::Status::Ok:
            return "ok " + std::to_string(r.rtt.count()) + "us";
        case ProbeResult::Status::Timeout:
            return "timeout";
        case ProbeResult::Status::Error:
            return "error: " + r.error;
    }
    return "?";
}

size_t openFds() {
    size_t n = 0;
    for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

ProbeResult probeOnce(const ProbeRequest& request) {
    ProbeRun run;
    run.add(request);
    run.run(request.timeout + 5s);
    EXPECT_EQ(run.calls()[0], 1);
    return run.results()[0].value_or(ProbeResult{ProbeResult::Status::Error, {}, "no result"});
}

}  // namespace weft::test
