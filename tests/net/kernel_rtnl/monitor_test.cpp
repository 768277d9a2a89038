// The monitor: drift on weft's rules and routes, foreign changes, links.
#include <poll.h>

#include "kernel/rtnl/route_engine.hpp"
#include "kernel/rtnl/rtnl_monitor.hpp"
#include "rtnl_testlib.hpp"

namespace weft::test {
namespace {

using kernel::RouteEngine;
using kernel::RtnlMonitor;

class MonitorTest : public NetnsTest {
  protected:
    // Waits briefly for the socket (notifications are queued before `ip` returns) and drains.
    static RtnlMonitor::Events settle(RtnlMonitor& m) {
        pollfd p{m.fd(), POLLIN, 0};
        poll(&p, 1, 200);
        return m.drain();
    }
    static RoutingRule weftRule(Family f) {
        RoutingRule r;
        r.family = f;
        r.priority = 100;
        r.table = 180;
        r.fwmark = Mark{0x20, 0x60};
        return r;
    }
};

TEST_F(MonitorTest, DeletingAWeftRuleIsDrift) {
    RouteEngine e(kProto);
    ASSERT_TRUE(e.applyRules({weftRule(Family::V4), weftRule(Family::V6)}, {100, 199}).ok());
    RtnlMonitor m(kProto);
    ip("rule del priority 100");
    auto ev = settle(m);
    EXPECT_TRUE(ev.weftRules);
    EXPECT_FALSE(ev.weftRoutes);
    ip("-6 rule del priority 100");
    EXPECT_TRUE(settle(m).weftRules);
    EXPECT_FALSE(m.drain().weftRules);  // drained
}

TEST_F(MonitorTest, ForeignRuleAndRouteChangesAreNotDrift) {
    RtnlMonitor m(kProto);
    ip("rule add priority 100 lookup 180");
    ip("rule del priority 100 lookup 180");
    ip("route add 192.0.2.0/24 dev d0 table 180");
    auto ev = settle(m);
    EXPECT_FALSE(ev.weftRules);
    EXPECT_FALSE(ev.weftRoutes);
}

TEST_F(MonitorTest, WeftRouteDeletedOrChangedIsDrift) {
    RouteEngine e(kProto);
    Route r;
    r.table = 180;
    r.dst = P("192.0.2.0/24");
    r.dev = "d0";
    ASSERT_TRUE(e.applyRoutes({r}, {{180, 180}}).ok());
    RtnlMonitor m(kProto);
    ip("route del 192.0.2.0/24 table 180");
    auto ev = settle(m);
    EXPECT_TRUE(ev.weftRoutes);
    EXPECT_FALSE(ev.weftRules);
}

TEST_F(MonitorTest, LinkAndAddressChanges) {
    RtnlMonitor m(kProto);
    ip("link add x0 type bridge");
    EXPECT_TRUE(settle(m).links);
    ip("addr add 10.99.0.1/24 dev x0");
    EXPECT_TRUE(settle(m).links);
    EXPECT_FALSE(m.drain().links);
}

TEST_F(MonitorTest, OwnChangesAreReportedUnlessTheirPortIsGiven) {
    RouteEngine e(kProto);
    RtnlMonitor all(kProto), others(kProto, {e.portId()});
    ASSERT_TRUE(e.applyRules({weftRule(Family::V4)}, {100, 199}).ok());
    EXPECT_TRUE(settle(all).weftRules);  // acceptable: the re-converge is a no-op
    EXPECT_FALSE(settle(others).weftRules);
    ip("rule del priority 100");
    EXPECT_TRUE(settle(others).weftRules);
}

}  // namespace
}  // namespace weft::test
