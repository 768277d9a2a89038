// The fixture of the etcd client tests: a real etcd with mutual TLS, an EventLoop driven by the
// test, and a 50 ms ticker on that loop whose gaps prove the client never blocks it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "etcd_client.hpp"
#include "etcd_server.hpp"
#include "event_loop.hpp"

namespace weft::test {

using namespace std::chrono_literals;

class ClusterTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    /// Client options for this etcd (or `endpoints`), trusting `ca` (default: the right CA).
    cluster::EtcdClientOptions options(std::vector<std::string> endpoints = {},
                                       std::string ca = {}) const;
    /// Runs the loop until `done()` or `timeout`; false on timeout.
    bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);
    void runFor(std::chrono::milliseconds d) {
        runUntil([] { return false; }, d);
    }

    std::string dir_;
    TestPki pki_;
    std::unique_ptr<EtcdServer> etcd_;
    EventLoop loop_;
    // The ticker: gaps between its firings while the test runs the loop.
    std::chrono::steady_clock::time_point lastTick_;
    std::chrono::milliseconds maxGap_{0};
    unsigned ticks_ = 0;
    bool inLoop_ = false;
};

}  // namespace weft::test
