// A test fixture with an nftables table of its own (output and input chains) and a real loop.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../shell_cmd.hpp"
#include "event_loop.hpp"
#include "kernel/nflog/nflog_receiver.hpp"
#include "traffic.hpp"

namespace weft::test {

class NflogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        nft("add table inet weft_nflog_test");
        nft("add chain inet weft_nflog_test out { type filter hook output priority 0; }");
        nft("add chain inet weft_nflog_test in { type filter hook input priority 0; }");
    }
    void TearDown() override { sh("nft delete table inet weft_nflog_test"); }

    /// Runs `nft` with `command` as one argument (quotes inside are nft's).
    static void nft(const std::string& command) {
        auto r = sh("nft '" + command + "'");
        ASSERT_EQ(r.status, 0) << "nft " << command << ": " << r.out;
    }
    /// Adds a rule to chain "out" or "in" of the test table.
    static void rule(const std::string& chain, const std::string& body) {
        nft("add rule inet weft_nflog_test " + chain + " " + body);
    }
    /// A handler that appends to `into`.
    static kernel::NflogReceiver::Handler collect(std::vector<LoggedPacket>& into) {
        return [&into](const LoggedPacket& p) { into.push_back(p); };
    }

    EventLoop loop;
};

}  // namespace weft::test
