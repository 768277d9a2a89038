// Shared fixture for the vpn-egress plugin tests: three existing tunnels, a FakeHost that
// restarts on the same directories, and probe rounds answered by gateway.
#pragma once

#include <gmock/gmock.h>

#include "egress_fixture.hpp"
#include "egress_plugin.hpp"
#include "weft/json.hpp"

namespace weft::egress::test {

using namespace std::chrono_literals;

// Three existing tunnels (so every check is a probe); p3 has two checks and weight 2.
inline constexpr const char* kThree =
    "[Egress]\nClients=10.77.0.0/24\n"
    "[Gateway p1]\nInterface=tun1\nHealthCheck=icmp:10.64.1.1\nInterval=1500ms\n"
    "FailAfter=2\nRecoverAfter=2\n"
    "[Gateway p2]\nInterface=tun2\nHealthCheck=icmp:10.64.2.1\nFailAfter=2\nRecoverAfter=2\n"
    "[Gateway p3]\nInterface=tun3\nWeight=2\nHealthCheck=tcp:10.64.3.1:443\n"
    "HealthCheck=dns:10.64.3.53\nInterval=2s\nFailAfter=2\nRecoverAfter=2\n"
    "[PortForward web]\nGateway=p3\nProtocol=tcp\nPort=40123\nTo=10.77.0.10:8080\n";

// Marks as the documentation derives them: gateway i in config order, under 0x00ff0000.
inline const std::map<uint32_t, std::string> kGatewayOfMark{
    {0x10000, "p1"}, {0x20000, "p2"}, {0x30000, "p3"}};

inline LinkInfo link(int index, const std::string& name, bool up = true) {
    LinkInfo l;
    l.index = index;
    l.name = name;
    l.up = up;
    l.mtu = 1420;
    return l;
}

class PluginTest : public TempDirTest {
  protected:
    void TearDown() override {
        if (plugin)
            plugin->stop();
        plugin.reset();
        host.reset();
        TempDirTest::TearDown();
    }

    /// A new plugin instance through validate, lease, configure and start, on a fresh host
    /// that shares the directories (as after a daemon restart).
    EgressPlugin& start(const std::string& text = kThree) {
        if (plugin)
            plugin->stop();
        plugin.reset();
        host = std::make_unique<weft::test::FakeHost>("vpn-egress", dir);
        host->linkList = links;
        plugin = std::make_unique<EgressPlugin>();
        Config c = parse(text);
        plugin->validate(c);
        plugin->lease(c);
        plugin->configure(c);
        plugin->start(*host);
        return *plugin;
    }

    /// One interval of every timer, then every probe out answered: a gateway fails its
    /// probes when listed in `failing` (by the probe's mark, so through the gateway).
    void round(const std::set<std::string>& failing = {}) {
        host->fireTimers();
        answer(failing);
    }
    void answer(const std::set<std::string>& failing) {
        std::vector<Host::ProbeId> ids;
        for (auto& [id, p] : host->probes)
            ids.push_back(id);
        for (auto id : ids) {
            auto& req = host->probes.at(id).first;
            ProbeResult r;
            if (failing.count(kGatewayOfMark.at(*req.fwmark))) {
                r.status = ProbeResult::Status::Timeout;
            } else {
                r.status = ProbeResult::Status::Ok;
                r.rtt = 3ms;
            }
            host->finishProbe(id, r);
        }
    }

    /// GatewayStateChanged signals so far, as "name=state".
    std::vector<std::string> stateSignals() {
        std::vector<std::string> out;
        for (auto& [name, args] : host->busObject.emitted) {
            if (name == "GatewayStateChanged")
                out.push_back(std::get<std::string>(args.at(0)) + "=" +
                              std::get<std::string>(args.at(1)));
        }
        return out;
    }
    Rows rows() { return std::get<Rows>(host->busObject.get("Gateways")); }
    std::map<std::string, std::string> row(const std::string& name) {
        for (auto& r : rows()) {
            if (r.at("name") == name)
                return r;
        }
        ADD_FAILURE() << "no gateway row " << name;
        return {};
    }
    std::map<uint32_t, uint32_t> bucketsNow() { return bucketMap(plugin->desiredState()); }
    static std::map<uint32_t, int> perMark(const std::map<uint32_t, uint32_t>& m) {
        std::map<uint32_t, int> out;
        for (auto& [b, mark] : m)
            ++out[mark];
        return out;
    }

    std::vector<LinkInfo> links{link(11, "tun1"), link(12, "tun2"), link(13, "tun3")};
    std::unique_ptr<weft::test::FakeHost> host;
    std::unique_ptr<EgressPlugin> plugin;
};

}  // namespace weft::egress::test
