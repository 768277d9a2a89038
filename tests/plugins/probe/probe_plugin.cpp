// "probe": a test-only plugin whose desired state is fully driven by its config, so the
// core's tests can exercise apply, diff, drift repair, restarts, errors and leases.
//
//   [Probe]
//   Device=veth0            steer marked traffic into this link (table Table, default route)
//   Destinations=10.0.0.0/8 (repeated) interval set elements; their traffic gets Mark
//   Elements=N              also add N synthetic /32 elements (scale tests)
//   Table=300  Priority=6000  Mark=0x100/0x100
//   Fail=no                 desiredState() throws
//   BadRule=no              a rule jumping to a chain that does not exist (kernel error)
//   OutsideLease=no         also ask for a table outside the lease
//   Sysctl=no               set net.ipv4.conf.all.src_valid_mark=1
#include <stdexcept>

#include "weft/plugin.hpp"

namespace probe {

using namespace weft;

class ProbePlugin final : public Plugin {
  public:
    PluginInfo info() const override {
        return {"probe", "1.0", "org.weft.Weft1.Probe", "test plugin"};
    }

    Schema schema() const override {
        auto key = [](std::string n, ValueType t, std::string def = {}, bool rep = false) {
            KeySpec k{std::move(n), t, rep};
            if (!def.empty())
                k.defaultValue = def;
            return k;
        };
        KeySpec table = key("Table", ValueType::Int, "300");
        table.min = 1;
        table.max = 4000;
        KeySpec prio = key("Priority", ValueType::Int, "6000");
        prio.min = 6000;
        prio.max = 6099;
        KeySpec elements = key("Elements", ValueType::Int, "0");
        elements.max = 1000000;
        return Schema{{SectionSpec{
            "Probe",
            false,
            {key("Device", ValueType::Name, "lo"), key("Destinations", ValueType::Prefix, {}, true),
             elements, table, prio, key("Mark", ValueType::Mark, "0x100/0x100"),
             key("Fail", ValueType::Bool, "no"), key("BadRule", ValueType::Bool, "no"),
             key("OutsideLease", ValueType::Bool, "no"), key("Sysctl", ValueType::Bool, "no")}}}};
    }

    void validate(const Config&) const override {}

    Lease lease(const Config& c) const override {
        const Section* s = c.section("Probe");
        Lease l;
        l.nftTables = {"weft_probe"};
        auto t = uint32_t(s->integer("Table"));
        l.routingTables = {{t, t}};
        l.rulePriorities = {{6000, 6099}};
        l.markBits = s->mark("Mark")->mask;
        l.sysctls = {"net.ipv4.conf.all.src_valid_mark"};
        return l;
    }

    void configure(const Config& c) override { config_ = c; }
    void start(Host& host) override {
        host_ = &host;
        host.bus().addProperty("Elements", "u", [this] { return BusValue{elements_}; });
        host.bus().addMethod(
            "Echo", {{"text", "s"}}, {{"reply", "s"}},
            [](const std::vector<BusValue>& in) {
                auto text = std::get<std::string>(in.at(0));
                if (text.empty())
                    throw BusError("InvalidArgument", "text: must not be empty");
                return std::vector<BusValue>{text};
            },
            true);
    }

    DesiredState desiredState() override {
        const Section* s = config_.section("Probe");
        if (s->boolean("Fail"))
            throw std::runtime_error("probe asked to fail");
        Mark mark = *s->mark("Mark");
        auto table = uint32_t(s->integer("Table"));
        nft::Set dst4{"dst4", nft::DataType::Ipv4Addr, {}, true};
        nft::Set dst6{"dst6", nft::DataType::Ipv6Addr, {}, true};
        std::vector<Prefix> all = s->prefixes("Destinations");
        for (int64_t i = 0; i < s->integer("Elements"); ++i) {
            uint8_t b[4] = {100, uint8_t(64 + (i >> 16)), uint8_t(i >> 8), uint8_t(i)};
            all.push_back(Prefix::host(Address::fromBytes(Family::V4, b)));
        }
        PrefixSet dests(all);
        for (auto& p : dests.prefixes(Family::V4))
            dst4.elements.push_back({p, {}});
        for (auto& p : dests.prefixes(Family::V6))
            dst6.elements.push_back({p, {}});
        elements_ = uint32_t(dst4.elements.size() + dst6.elements.size());

        nft::Chain out{"output", nft::BaseChain{nft::ChainType::Route, nft::Hook::Output, -150}};
        out.rules.push_back(nft::Rule{}
                                .family(Family::V4)
                                .daddrIn(Family::V4, "dst4")
                                .setMark(mark)
                                .counter()
                                .withComment("probe v4"));
        out.rules.push_back(nft::Rule{}
                                .family(Family::V6)
                                .daddrIn(Family::V6, "dst6")
                                .setMark(mark)
                                .counter()
                                .withComment("probe v6"));
        if (s->boolean("BadRule"))
            out.rules.push_back(nft::Rule{}.jump("missing_chain"));

        DesiredState d;
        d.tables.push_back(nft::Table{nft::TableFamily::Inet, "weft_probe", {dst4, dst6}, {out}});
        if (s->boolean("OutsideLease"))
            d.tables.push_back(nft::Table{nft::TableFamily::Inet, "not_leased", {}, {}});
        std::string dev = s->str("Device");
        for (auto* def : {"0.0.0.0/0", "::/0"}) {
            Route r;
            r.table = table;
            r.dst = *Prefix::parse(def);
            r.dev = dev;
            r.scopeLink = true;
            d.routes.push_back(r);
        }
        for (Family f : {Family::V4, Family::V6}) {
            RoutingRule rule;
            rule.family = f;
            rule.priority = uint32_t(s->integer("Priority"));
            rule.fwmark = mark;
            rule.table = table;
            d.rules.push_back(rule);
        }
        if (s->boolean("Sysctl"))
            d.sysctls.push_back({"net.ipv4.conf.all.src_valid_mark", "1"});
        return d;
    }

    std::string describe() const override {
        return "{\"elements\": " + std::to_string(elements_) + "}";
    }

  private:
    Config config_;
    Host* host_ = nullptr;
    uint32_t elements_ = 0;
};

}  // namespace probe

WEFT_PLUGIN(probe::ProbePlugin)
