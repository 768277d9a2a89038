// Sysctls inside the test's namespace: written only when different, read back.
#include "kernel/rtnl/sysctl.hpp"
#include "rtnl_testlib.hpp"

namespace weft::test {
namespace {

using kernel::applySysctls;
using kernel::readSysctl;

class SysctlTest : public NetnsTest {};

TEST_F(SysctlTest, SetsReadsBackAndThenDoesNothing) {
    ASSERT_EQ(readSysctl("net.ipv4.conf.all.src_valid_mark"), "0");
    std::vector<Sysctl> want{{"net.ipv4.conf.all.src_valid_mark", "1"},
                             {"net.ipv4.conf.d0.rp_filter", "2"}};
    auto r = applySysctls(want);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 2u);
    EXPECT_EQ(readSysctl("net.ipv4.conf.all.src_valid_mark"), "1");
    EXPECT_EQ(sh("cat /proc/sys/net/ipv4/conf/d0/rp_filter").out, "2\n");
    r = applySysctls(want);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 0u);
}

TEST_F(SysctlTest, VectorsCompareByWords) {
    std::vector<Sysctl> want{{"net.ipv4.tcp_rmem", "4096 87380 6291456"}};
    auto r = applySysctls(want);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(readSysctl("net.ipv4.tcp_rmem"), "4096\t87380\t6291456");
    EXPECT_EQ(applySysctls(want).changes, 0u);
}

TEST_F(SysctlTest, SlashedKeysReachNamesWithDots) {
    ip("link add d0.5 type bridge");
    auto r = applySysctls({{"net/ipv4/conf/d0.5/rp_filter", "1"}});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(sh("cat /proc/sys/net/ipv4/conf/d0.5/rp_filter").out, "1\n");
}

TEST_F(SysctlTest, BadKeysAndValuesAreReported) {
    auto r = applySysctls({{"net.ipv4.no_such_thing", "1"},
                           {"net/../../etc/passwd", "x"},
                           {"net.ipv4.conf.all.rp_filter", "banana"}});
    ASSERT_EQ(r.errors.size(), 3u);
    EXPECT_EQ(r.errors[0], "sysctl net.ipv4.no_such_thing=1: No such file or directory");
    EXPECT_EQ(r.errors[1], "sysctl net/../../etc/passwd=x: not a sysctl name");
    EXPECT_EQ(r.errors[2], "sysctl net.ipv4.conf.all.rp_filter=banana: Invalid argument");
    EXPECT_EQ(r.changes, 0u);
    EXPECT_FALSE(readSysctl("net/../../etc/passwd"));
}

}  // namespace
}  // namespace weft::test
