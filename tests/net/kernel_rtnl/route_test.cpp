// Routes: ownership by protocol, idempotence, in-place replacement, both families, all types.
#include <linux/rtnetlink.h>

#include "kernel/rtnl/route_engine.hpp"
#include "rtnl_testlib.hpp"

namespace weft::test {
namespace {

using kernel::RouteEngine;

Route R(uint32_t table, const char* dst, const char* dev, const char* via = nullptr,
        uint32_t metric = 0) {
    Route r;
    r.table = table;
    r.dst = P(dst);
    r.dev = dev;
    if (via)
        r.via = A(via);
    r.metric = metric;
    return r;
}

Route typed(uint32_t table, const char* dst, RouteType t) {
    Route r = R(table, dst, "");
    r.type = t;
    return r;
}

const std::vector<std::pair<uint32_t, uint32_t>> kT180{{180, 189}};

class RouteTest : public NetnsTest {};

TEST_F(RouteTest, CreatesThenDoesNothingThenReplacesThenDeletes) {
    RouteEngine e(kProto);
    auto r = e.applyRoutes({R(180, "192.0.2.0/24", "d0", "10.0.0.2")}, kT180);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 1u);
    auto got = ipJsonWhere("route show table 180", "dst", "192.0.2.0/24");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("gateway"), "10.0.0.2");
    EXPECT_EQ(got[0].at("dev"), "d0");
    EXPECT_EQ(got[0].at("protocol"), "149");

    r = e.applyRoutes({R(180, "192.0.2.0/24", "d0", "10.0.0.2")}, kT180);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 0u);

    Recorder rec;
    r = e.applyRoutes({R(180, "192.0.2.0/24", "d1", "10.1.0.2")}, kT180);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 1u);
    auto events = rec.take();
    ASSERT_EQ(events.size(), 1u);  // replaced in place: no delete, no second route
    EXPECT_EQ(events[0].type, RTM_NEWROUTE);
    EXPECT_TRUE(events[0].flags & NLM_F_REPLACE);
    got = ipJsonWhere("route show table 180", "dst", "192.0.2.0/24");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("dev"), "d1");
    EXPECT_EQ(got[0].at("gateway"), "10.1.0.2");

    r = e.applyRoutes({}, kT180);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 1u);
    EXPECT_TRUE(ipJson("route show table 180").empty());
}

TEST_F(RouteTest, ChangedMetricIsAnotherRouteAndTheOldOneGoes) {
    RouteEngine e(kProto);
    ASSERT_TRUE(e.applyRoutes({R(180, "192.0.2.0/24", "d0", nullptr, 10)}, kT180).ok());
    auto r = e.applyRoutes({R(180, "192.0.2.0/24", "d0", nullptr, 20)}, kT180);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 2u);
    auto got = ipJsonWhere("route show table 180", "dst", "192.0.2.0/24");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("metric"), 20);
}

TEST_F(RouteTest, ForeignRouteInOurTableSurvivesEverything) {
    ip("route add 198.51.100.0/24 dev d0 table 180");
    ip("route add 203.0.113.0/24 dev d0 table 180 proto static");
    RouteEngine e(kProto);
    ASSERT_TRUE(e.applyRoutes({R(180, "192.0.2.0/24", "d0")}, kT180).ok());
    ASSERT_TRUE(e.applyRoutes({R(180, "192.0.2.0/24", "d1")}, kT180).ok());
    ASSERT_TRUE(e.applyRoutes({}, kT180).ok());
    ASSERT_TRUE(e.applyRoutes({R(180, "192.0.2.0/24", "d0")}, kT180).ok());
    auto r = e.removeAll();
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.changes, 1u);
    EXPECT_EQ(ipJsonWhere("route show table 180", "dst", "198.51.100.0/24").size(), 1u);
    EXPECT_EQ(ipJsonWhere("route show table 180", "dst", "203.0.113.0/24").size(), 1u);
    EXPECT_EQ(ipJsonWhere("route show table 180", "dst", "192.0.2.0/24").size(), 0u);
}

TEST_F(RouteTest, ForeignRouteWithOurIdentityIsReportedNotReplaced) {
    ip("route add 192.0.2.0/24 dev d0 table 180 proto static");
    RouteEngine e(kProto);
    auto r = e.applyRoutes({R(180, "192.0.2.0/24", "d1")}, kT180);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("does not own"), std::string::npos) << r.errors[0];
    auto got = ipJsonWhere("route show table 180", "dst", "192.0.2.0/24");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("dev"), "d0");
    EXPECT_EQ(got[0].at("protocol"), "static");
}

TEST_F(RouteTest, DefaultRoutesInMainBothFamilies) {
    RouteEngine e(kProto);
    std::vector<Route> want{R(254, "0.0.0.0/0", "d0", "10.0.0.254"),
                            R(254, "::/0", "d0", "2001:db8::fe")};
    auto r = e.applyRoutes(want, {{254, 254}});
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 2u);
    auto v4 = ipJsonWhere("route show table main", "dst", "default");
    ASSERT_EQ(v4.size(), 1u);
    EXPECT_EQ(v4[0].at("gateway"), "10.0.0.254");
    EXPECT_EQ(v4[0].at("protocol"), "149");
    auto v6 = ipJsonWhere("-6 route show table main", "dst", "default");
    ASSERT_EQ(v6.size(), 1u);
    EXPECT_EQ(v6[0].at("gateway"), "2001:db8::fe");
    EXPECT_EQ(v6[0].at("metric"), 1024);  // IPv6 "no metric"
    EXPECT_EQ(e.applyRoutes(want, {{254, 254}}).changes, 0u);
    // The kernel's own connected routes in main are not ours and stay.
    EXPECT_TRUE(e.applyRoutes({}, {{254, 254}}).ok());
    EXPECT_EQ(ipJsonWhere("route show table main", "dst", "10.0.0.0/24").size(), 1u);
    EXPECT_EQ(ipJsonWhere("route show table main", "dst", "default").size(), 0u);
    EXPECT_EQ(ipJsonWhere("-6 route show table main", "dst", "default").size(), 0u);
}

TEST_F(RouteTest, Ipv6CreateReplaceDelete) {
    RouteEngine e(kProto);
    auto r = e.applyRoutes({R(180, "2001:db8:100::/48", "d0", "2001:db8::2")}, kT180);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(e.applyRoutes({R(180, "2001:db8:100::/48", "d0", "2001:db8::2")}, kT180).changes, 0u);
    r = e.applyRoutes({R(180, "2001:db8:100::/48", "d1", "2001:db8:1::2")}, kT180);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 1u);
    auto got = ipJsonWhere("-6 route show table 180", "dst", "2001:db8:100::/48");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("dev"), "d1");
    EXPECT_EQ(e.applyRoutes({}, kT180).changes, 1u);
    EXPECT_TRUE(ipJson("-6 route show table 180").empty());
}

TEST_F(RouteTest, SpecialTypesBothFamilies) {
    RouteEngine e(kProto);
    std::vector<Route> want{typed(180, "198.51.100.0/24", RouteType::Blackhole),
                            typed(180, "203.0.113.0/24", RouteType::Unreachable),
                            typed(180, "10.9.0.0/16", RouteType::Throw),
                            typed(181, "10.8.0.0/16", RouteType::Prohibit),
                            typed(180, "2001:db8:dead::/48", RouteType::Blackhole),
                            typed(180, "2001:db8:beef::/48", RouteType::Unreachable)};
    auto r = e.applyRoutes(want, kT180);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 6u);
    EXPECT_EQ(e.applyRoutes(want, kT180).changes, 0u);
    auto type = [](const char* fam, const char* table, const char* dst) {
        auto got = ipJsonWhere(std::string(fam) + " route show table " + table, "dst", dst);
        return got.size() == 1 && got[0].contains("type") ? got[0].at("type").get<std::string>()
                                                          : "";
    };
    EXPECT_EQ(type("-4", "180", "198.51.100.0/24"), "blackhole");
    EXPECT_EQ(type("-4", "180", "203.0.113.0/24"), "unreachable");
    EXPECT_EQ(type("-4", "180", "10.9.0.0/16"), "throw");
    EXPECT_EQ(type("-4", "181", "10.8.0.0/16"), "prohibit");
    EXPECT_EQ(type("-6", "180", "2001:db8:dead::/48"), "blackhole");
    EXPECT_EQ(type("-6", "180", "2001:db8:beef::/48"), "unreachable");
    // A type change keeps the route's identity: replaced in place.
    want[0] = R(180, "198.51.100.0/24", "d0");
    r = e.applyRoutes(want, kT180);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.changes, 1u);
    EXPECT_EQ(type("-4", "180", "198.51.100.0/24"), "");
    EXPECT_EQ(e.removeAll().changes, 6u);
}

TEST_F(RouteTest, SourceMtuScopeAndLargeTableIds) {
    RouteEngine e(kProto);
    Route r = R(1000, "192.0.2.0/24", "d0");
    r.src = A("10.0.0.1");
    r.mtu = 1380;
    r.scopeLink = true;
    auto res = e.applyRoutes({r}, {{1000, 1000}});
    ASSERT_TRUE(res.ok()) << res.errors[0];
    auto got = ipJsonWhere("route show table 1000", "dst", "192.0.2.0/24");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("prefsrc"), "10.0.0.1");
    EXPECT_EQ(got[0].at("metrics").at(0).at("mtu"), 1380);
    EXPECT_EQ(got[0].at("scope"), "link");
    EXPECT_EQ(e.applyRoutes({r}, {{1000, 1000}}).changes, 0u);
    r.mtu = 1280;
    EXPECT_EQ(e.applyRoutes({r}, {{1000, 1000}}).changes, 1u);
    got = ipJsonWhere("route show table 1000", "dst", "192.0.2.0/24");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("metrics").at(0).at("mtu"), 1280);
}

TEST_F(RouteTest, RefusesRoutesOutsideTheTablesAndUnknownDevices) {
    RouteEngine e(kProto);
    auto r =
        e.applyRoutes({R(200, "192.0.2.0/24", "d0"), R(180, "198.51.100.0/24", "nope0")}, kT180);
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_NE(r.errors[0].find("outside"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[1].find("nope0 does not exist"), std::string::npos) << r.errors[1];
    EXPECT_EQ(r.changes, 0u);
    EXPECT_EQ(sh("ip route show table 200").out.find("192.0.2.0"), std::string::npos);
}

TEST_F(RouteTest, KernelRefusalCarriesTheKernelsReason) {
    ip("link set d1 down");
    RouteEngine e(kProto);
    auto r = e.applyRoutes({R(180, "192.0.2.0/24", "d1")}, kT180);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("192.0.2.0/24 dev d1 table 180: Network is down"), std::string::npos)
        << r.errors[0];
}

TEST_F(RouteTest, OnlyOurTablesAreTouched) {
    RouteEngine e(kProto);
    ASSERT_TRUE(e.applyRoutes({R(190, "192.0.2.0/24", "d0")}, {{190, 190}}).ok());
    EXPECT_TRUE(e.applyRoutes({}, kT180).ok());
    EXPECT_EQ(ipJsonWhere("route show table 190", "dst", "192.0.2.0/24").size(), 1u);
}

}  // namespace
}  // namespace weft::test
