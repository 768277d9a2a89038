// "hostcalls": a test-only plugin that puts the Host's kernel services behind D-Bus, so the net
// tests drive them through a running weftd exactly as a plugin would use them.
//
//   [HostCalls]
//   LogGroup=86               log the output packets to LogDestination= to this nflog group
//   LogDestination=10.0.0.0/8 (repeated) and subscribe to the group
//   WireguardLinks=2          own this many WireGuard links wghc0.. (userspace, no peers)
//
// Methods (org.weft.Weft1.HostCalls): DeleteFlows(a{ss}) -> t, CountFlows(u) -> a{ss},
// StartProbe(a{ss}) -> t, ProbeResults() -> aa{ss}, Logged() -> aa{ss}, Counters() -> a{ss}.
#include <cstdio>
#include <deque>

#include "hostcalls_args.hpp"
#include "weft/plugin.hpp"
#include "weft/wireguard_key.hpp"

namespace hostcalls {

using namespace weft;

class HostCallsPlugin final : public Plugin {
  public:
    PluginInfo info() const override {
        return {"hostcalls", "1.0", "org.weft.Weft1.HostCalls", "test plugin: Host services"};
    }

    Schema schema() const override {
        KeySpec group{"LogGroup", ValueType::Int};
        group.defaultValue = "0";
        group.max = 65535;
        KeySpec links{"WireguardLinks", ValueType::Int};
        links.defaultValue = "0";
        links.max = 3;
        KeySpec dst{"LogDestination", ValueType::Prefix, true};
        return Schema{{SectionSpec{"HostCalls", false, {group, links, dst}}}};
    }

    void validate(const Config&) const override {}

    Lease lease(const Config&) const override {
        Lease l;
        l.nftTables = {"weft_hostcalls"};
        l.links = {"wghc0", "wghc1", "wghc2"};
        return l;
    }

    void configure(const Config& c) override {
        const Section* s = c.section("HostCalls");
        group_ = s ? uint16_t(s->integer("LogGroup")) : 0;
        links_ = s ? int(s->integer("WireguardLinks")) : 0;
        destinations_ = s ? s->prefixes("LogDestination") : std::vector<Prefix>{};
        while (int(keys_.size()) < links_)
            keys_.push_back(wg::generatePrivateKey());
        if (host_)
            subscribe();
    }

    void start(Host& host) override {
        host_ = &host;
        subscribe();
        auto& bus = host.bus();
        bus.addMethod(
            "DeleteFlows", {{"filter", "a{ss}"}}, {{"deleted", "t"}},
            [this](const std::vector<BusValue>& in) {
                auto f = flowFilter(std::get<Args>(in.at(0)));
                return std::vector<BusValue>{uint64_t(host_->deleteFlows(f))};
            },
            true);
        bus.addMethod(
            "CountFlows", {{"mask", "u"}}, {{"counts", "a{ss}"}},
            [this](const std::vector<BusValue>& in) {
                Args out;
                for (auto& [mark, n] : host_->countFlowsByMark(std::get<uint32_t>(in.at(0)), {})) {
                    char key[16];
                    std::snprintf(key, sizeof key, "0x%x", mark);
                    out[key] = std::to_string(n);
                }
                return std::vector<BusValue>{out};
            },
            false);
        bus.addMethod(
            "StartProbe", {{"request", "a{ss}"}}, {{"id", "t"}},
            [this](const std::vector<BusValue>& in) {
                auto req = probeRequest(std::get<Args>(in.at(0)));
                auto slot = std::make_shared<uint64_t>(0);
                uint64_t id = host_->probe(req, [this, slot](const ProbeResult& r) {
                    Args a = resultArgs(r);
                    a["id"] = std::to_string(*slot);
                    results_.push_back(std::move(a));
                });
                *slot = id;  // the result comes on a later turn of the loop, never before this
                return std::vector<BusValue>{uint64_t(id)};
            },
            true);
        bus.addMethod(
            "ProbeResults", {}, {{"results", "aa{ss}"}},
            [this](const std::vector<BusValue>&) {
                return std::vector<BusValue>{std::vector<Args>(results_.begin(), results_.end())};
            },
            false);
        bus.addMethod(
            "Logged", {}, {{"packets", "aa{ss}"}},
            [this](const std::vector<BusValue>&) {
                return std::vector<BusValue>{std::vector<Args>(logged_.begin(), logged_.end())};
            },
            false);
        bus.addMethod(
            "Counters", {}, {{"counters", "a{ss}"}},
            [this](const std::vector<BusValue>&) {
                Args out;
                for (auto& [name, v] : host_->counters(nft::TableFamily::Inet, "weft_hostcalls"))
                    out[name] = std::to_string(v.packets) + " " + std::to_string(v.bytes);
                return std::vector<BusValue>{out};
            },
            false);
    }

    DesiredState desiredState() override {
        using namespace weft::nft;
        Set dst{"dst4", DataType::Ipv4Addr, std::nullopt, true, std::nullopt, {}};
        PrefixSet all(destinations_);
        for (auto& p : all.prefixes(Family::V4))
            dst.elements.insert(Element{p, {}});
        Chain out{"out", BaseChain{ChainType::Filter, Hook::Output, 0, Verdict::Accept}, {}};
        if (group_) {
            out.rules.push_back(Rule{}
                                    .family(Family::V4)
                                    .daddrIn(Family::V4, "dst4")
                                    .counter("logged")
                                    .logGroup(group_, "hostcalls: "));
        }
        Table t{TableFamily::Inet, "weft_hostcalls", {dst}, {out}};
        t.counters = {"logged"};
        DesiredState d;
        d.tables.push_back(std::move(t));
        for (int i = 0; i < links_; ++i) {
            WireguardLink l;
            l.name = "wghc" + std::to_string(i);
            l.backend = WireguardBackend::Userspace;
            l.privateKey = keys_[size_t(i)];
            l.listenPort = uint16_t(51900 + i);
            l.addresses = {*InterfaceAddress::parse("10.250." + std::to_string(i) + ".1/24")};
            d.wireguard.push_back(std::move(l));
        }
        return d;
    }

    std::string describe() const override {
        return "{\"logged\": " + std::to_string(logged_.size()) +
               ", \"probeResults\": " + std::to_string(results_.size()) + "}";
    }

    void stop() override { host_ = nullptr; }

  private:
    void subscribe() {
        if (subscription_ && subscribedGroup_ == group_)
            return;
        if (subscription_)
            host_->unsubscribeLog(subscription_);
        subscription_ = 0;
        subscribedGroup_ = group_;
        if (group_) {
            subscription_ = host_->subscribeLog(group_, [this](const LoggedPacket& p) {
                logged_.push_back(packetArgs(p));
                if (logged_.size() > 100)
                    logged_.pop_front();
            });
        }
    }

    Host* host_ = nullptr;
    uint16_t group_ = 0, subscribedGroup_ = 0;
    int links_ = 0;
    std::vector<Prefix> destinations_;
    std::vector<std::string> keys_;
    Host::LogSubscription subscription_ = 0;
    std::deque<Args> results_, logged_;
};

}  // namespace hostcalls

WEFT_PLUGIN(hostcalls::HostCallsPlugin)
