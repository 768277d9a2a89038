#include "cluster_fixture.hpp"

#include <systemd/sd-event.h>

#include <cstdlib>
#include <filesystem>

namespace weft::test {

void ClusterTest::SetUp() {
    char tmpl[] = "/tmp/weft-etcd-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    pki_ = TestPki::make(dir_);
    etcd_ = std::make_unique<EtcdServer>(dir_, pki_);
    etcd_->start();
    loop_.addTimer(50ms, true, [this] {
        auto now = std::chrono::steady_clock::now();
        if (inLoop_) {
            maxGap_ = std::max(
                maxGap_, std::chrono::duration_cast<std::chrono::milliseconds>(now - lastTick_));
            ++ticks_;
        }
        lastTick_ = now;
    });
}

void ClusterTest::TearDown() {
    etcd_.reset();  // SIGKILL, even when the test failed half-way
    std::error_code ec;
    if (!dir_.empty())
        std::filesystem::remove_all(dir_, ec);
    EXPECT_LT(maxGap_.count(), 200) << "the 50 ms ticker was held up: the loop blocked";
}

cluster::EtcdClientOptions ClusterTest::options(std::vector<std::string> endpoints,
                                                std::string ca) const {
    cluster::EtcdClientOptions o;
    o.endpoints = endpoints.empty() ? std::vector<std::string>{etcd_->endpoint()} : endpoints;
    o.trustedCaFile = ca.empty() ? pki_.ca() : ca;
    o.certFile = pki_.clientCert();
    o.keyFile = pki_.clientKey();
    o.connectTimeout = 1000ms;
    o.requestTimeout = 2000ms;
    return o;
}

bool ClusterTest::runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    lastTick_ = std::chrono::steady_clock::now();  // time outside the loop is the test's own
    inLoop_ = true;
    bool ok = true;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            ok = false;
            break;
        }
        sd_event_run(loop_.get(), 20'000);
    }
    inLoop_ = false;
    return ok;
}

}  // namespace weft::test
