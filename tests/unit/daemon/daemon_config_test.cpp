// weftd.conf's own settings (issue 15): ResyncInterval= is range-checked with file:line, and
// each Plugins= entry keeps its line so errors about that plugin name it.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "daemon_config.hpp"

using namespace weft;
using namespace std::chrono_literals;

namespace {

const std::string kFile = "/etc/weft/weftd.conf";

DaemonSettings settings(const std::string& text) {
    return daemonSettings(config::parseText(text, kFile, daemonSchema()));
}

// The errors daemonSettings() throws for `text`, as "file:line: ..." strings.
std::vector<std::string> errors(const std::string& text) {
    try {
        settings(text);
    } catch (const ConfigException& e) {
        std::vector<std::string> out;
        for (auto& err : e.errors())
            out.push_back(err.str());
        return out;
    }
    return {};
}

TEST(DaemonConfig, ResyncIntervalOutsideOneSecondToOneDayIsRefusedWithItsLine) {
    for (std::string bad : {"0", "0s", "1ms", "999ms", "1d 1s", "2w", "20000w"}) {
        auto e = errors("[Daemon]\nPlugins=probe\nResyncInterval=" + bad + "\n");
        ASSERT_EQ(e.size(), 1u) << bad;
        EXPECT_EQ(e[0], kFile + ":3: [Daemon] ResyncInterval: must be between 1s and 1d (24h)")
            << bad;
    }
}

TEST(DaemonConfig, ResyncIntervalWithinTheBoundsIsTaken) {
    EXPECT_EQ(settings("[Daemon]\nResyncInterval=1s\n").resyncInterval, 1s);
    EXPECT_EQ(settings("[Daemon]\nResyncInterval=1d\n").resyncInterval, 24h);
    EXPECT_EQ(settings("[Daemon]\nResyncInterval=5min\n").resyncInterval, 5min);
    EXPECT_EQ(settings("[Daemon]\nPlugins=probe\n").resyncInterval, 60s);  // the default
    EXPECT_EQ(settings("").resyncInterval, 60s);
}

TEST(DaemonConfig, EachPluginKeepsTheLineThatListedIt) {
    auto s = settings("[Daemon]\n# core\nPlugins=wireguard-mesh fwmark-routing\n\nPlugins=probe\n");
    ASSERT_EQ(s.plugins, (std::vector<std::string>{"wireguard-mesh", "fwmark-routing", "probe"}));
    EXPECT_EQ(s.locationOf("wireguard-mesh").str(), kFile + ":3");
    EXPECT_EQ(s.locationOf("fwmark-routing").str(), kFile + ":3");
    EXPECT_EQ(s.locationOf("probe").str(), kFile + ":5");
    EXPECT_EQ(s.locationOf("unlisted").str(), kFile + ":0");
}

}  // namespace
