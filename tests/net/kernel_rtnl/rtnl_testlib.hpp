// Helpers for the rtnetlink engine tests: a fresh namespace per test, the ip command, and a
// recorder of the kernel's route and rule notifications.
#pragma once

#include <gtest/gtest.h>
#include <linux/netlink.h>

#include <string>
#include <vector>

#include "../shell_cmd.hpp"
#include "weft/json.hpp"
#include "weft/state.hpp"

namespace weft::test {

constexpr uint8_t kProto = 149;

/// `ip <args>`, which must succeed.
std::string ip(const std::string& args);
/// `ip -j <args>` parsed.
Json ipJson(const std::string& args);
/// Objects of `ip -j <args>` whose member `key` has the string value `value`.
std::vector<Json> ipJsonWhere(const std::string& args, const std::string& key,
                              const std::string& value);

Prefix P(const char* text);
Address A(const char* text);
InterfaceAddress IA(const char* text);

/// Each test in a network namespace of its own, with lo up and veth links d0 (10.0.0.1/24,
/// 2001:db8::1/64) and d1 (10.1.0.1/24, 2001:db8:1::1/64), both up (peers d0p, d1p).
class NetnsTest : public ::testing::Test {
  protected:
    void SetUp() override;
};

/// Records route and rule notifications (type, table) in the order the kernel sent them.
class Recorder {
  public:
    Recorder();
    ~Recorder();
    struct Event {
        uint16_t type = 0;  ///< RTM_NEWRULE, RTM_DELRULE, RTM_NEWROUTE, RTM_DELROUTE
        uint32_t table = 0;
        uint16_t flags = 0;
        uint8_t protocol = 0;
    };
    /// Everything received so far.
    std::vector<Event> take();

  private:
    int fd_ = -1;
};

}  // namespace weft::test
