// Links: up, MTU and exactly the desired addresses; link-local addresses left alone.
#include <algorithm>

#include "kernel/rtnl/link_engine.hpp"
#include "rtnl_testlib.hpp"

namespace weft::test {
namespace {

using kernel::LinkEngine;

class LinkTest : public NetnsTest {
  protected:
    void SetUp() override {
        NetnsTest::SetUp();
        ip("link add w0 type veth peer name w0p");
    }
    static bool has(const LinkInfo& l, const char* a) {
        return std::count(l.addresses.begin(), l.addresses.end(), IA(a)) == 1;
    }
    static bool hasLinkLocal(const LinkInfo& l) {
        return std::any_of(l.addresses.begin(), l.addresses.end(), [](auto& a) {
            return a.address.family == Family::V6 && a.address.bytes[0] == 0xfe;
        });
    }
};

TEST_F(LinkTest, ListsLinksWithTheirAddresses) {
    LinkEngine e;
    auto all = e.links();
    ASSERT_GE(all.size(), 4u);
    EXPECT_EQ(all[0].name, "lo");
    EXPECT_EQ(all[0].index, 1);
    EXPECT_TRUE(all[0].up);
    EXPECT_TRUE(has(all[0], "127.0.0.1/8"));
    auto d0 = e.link("d0");
    ASSERT_TRUE(d0);
    EXPECT_TRUE(d0->up);
    EXPECT_TRUE(has(*d0, "10.0.0.1/24"));
    EXPECT_TRUE(has(*d0, "2001:db8::1/64"));
    EXPECT_FALSE(e.link("nope0"));
}

TEST_F(LinkTest, ConfiguresUpMtuAndAddressesThenDoesNothing) {
    LinkEngine e;
    std::vector<InterfaceAddress> want{IA("10.20.0.1/24"), IA("fd00:20::1/64")};
    auto r = e.configure("w0", 1400, want);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 3u);
    auto l = e.link("w0");
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->up);
    EXPECT_EQ(l->mtu, 1400u);
    EXPECT_TRUE(has(*l, "10.20.0.1/24"));
    EXPECT_TRUE(has(*l, "fd00:20::1/64"));
    auto shown = ipJson("addr show dev w0").at(0);
    EXPECT_EQ(shown.at("mtu"), 1400);
    EXPECT_NE(shown.at("flags").dump().find("\"UP\""), std::string::npos);
    r = e.configure("w0", 1400, want);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 0u);
}

TEST_F(LinkTest, ReplacesAddressesButLeavesLinkLocal) {
    LinkEngine e;
    ip("link set w0 up");
    ip("addr add fe80::99/64 dev w0 nodad");
    ASSERT_TRUE(e.configure("w0", 0, {IA("10.20.0.1/24"), IA("fd00:20::1/64")}).ok());
    auto r = e.configure("w0", 0, {IA("10.21.0.1/16"), IA("fd00:20::1/56")});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto l = e.link("w0");
    ASSERT_TRUE(l);
    EXPECT_TRUE(has(*l, "10.21.0.1/16"));
    EXPECT_TRUE(has(*l, "fd00:20::1/56"));
    EXPECT_FALSE(has(*l, "10.20.0.1/24"));
    EXPECT_FALSE(has(*l, "fd00:20::1/64"));
    EXPECT_TRUE(has(*l, "fe80::99/64"));
    EXPECT_TRUE(hasLinkLocal(*l));
    EXPECT_EQ(e.configure("w0", 0, {IA("10.21.0.1/16"), IA("fd00:20::1/56")}).changes, 0u);
}

// Deleting a primary IPv4 address removes its secondaries with it.
TEST_F(LinkTest, ReplacingAPrimaryAddressKeepsTheNewSecondary) {
    LinkEngine e;
    ASSERT_TRUE(e.configure("w0", 0, {IA("10.20.0.1/24")}).ok());
    auto r = e.configure("w0", 0, {IA("10.20.0.2/24")});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    auto l = e.link("w0");
    ASSERT_TRUE(l);
    EXPECT_TRUE(has(*l, "10.20.0.2/24"));
    EXPECT_FALSE(has(*l, "10.20.0.1/24"));
}

TEST_F(LinkTest, MissingLinkIsAnError) {
    LinkEngine e;
    auto r = e.configure("nope0", 1400, {});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "link nope0 does not exist");
}

TEST_F(LinkTest, RemoveDeletesOnceAndThenIsANoOp) {
    LinkEngine e;
    auto r = e.remove("w0");
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 1u);
    EXPECT_FALSE(e.link("w0"));
    r = e.remove("w0");
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 0u);
}

TEST_F(LinkTest, CreateWireguardWorksOrSaysWhyNot) {
    LinkEngine e;
    auto r = e.createWireguard("wg7");
    if (r.ok()) {  // a kernel with the wireguard module
        EXPECT_EQ(r.changes, 1u);
        EXPECT_NE(ip("-d link show wg7").find("wireguard"), std::string::npos);
    } else {
        ASSERT_EQ(r.errors.size(), 1u);
        EXPECT_NE(r.errors[0].find("create wireguard link wg7: the kernel has no WireGuard"),
                  std::string::npos)
            << r.errors[0];
        EXPECT_FALSE(e.link("wg7"));
    }
}

}  // namespace
}  // namespace weft::test
