// blocklist: drops traffic to and from a list of prefixes, in its own nftables table.
//
//   # /etc/weft/blocklist.conf
//   [Blocklist]
//   Prefixes=203.0.113.0/24 2001:db8:bad::/48
//
// It shows the whole plugin contract: a schema as data, a lease, a desired state and a
// D-Bus property. weftd does the parsing, diffing, applying and drift repair.
#include <weft/plugin.hpp>

namespace blocklist {

using namespace weft;

class Blocklist final : public Plugin {
  public:
    PluginInfo info() const override {
        return {"blocklist", "1.0", "org.example.Blocklist", "drop traffic to/from prefixes"};
    }

    Schema schema() const override {
        KeySpec prefixes{"Prefixes", ValueType::Prefix, true};
        prefixes.help = "prefixes to drop, repeatable";
        return Schema{{SectionSpec{"Blocklist", false, {prefixes}, "what to block"}}};
    }

    void validate(const Config&) const override {}

    Lease lease(const Config&) const override {
        Lease l;
        l.nftTables = {"weft_blocklist"};
        return l;
    }

    void configure(const Config& config) override {
        blocked_ = PrefixSet(config.section("Blocklist")->prefixes("Prefixes"));
    }

    void start(Host& host) override {
        host.bus().addProperty("Count", "u",
                               [this] { return BusValue{uint32_t(blocked_.size())}; });
    }

    DesiredState desiredState() override {
        nft::Table t{nft::TableFamily::Inet, "weft_blocklist", {}, {}};
        for (auto [family, name] : {std::pair{Family::V4, "v4"}, std::pair{Family::V6, "v6"}}) {
            nft::Set set{name,
                         family == Family::V4 ? nft::DataType::Ipv4Addr : nft::DataType::Ipv6Addr,
                         {},
                         true};
            for (auto& p : blocked_.prefixes(family))
                set.elements.push_back({p, {}});
            t.sets.push_back(set);
        }
        for (auto [hook, dir] : {std::pair{nft::Hook::Input, nft::Dir::Src},
                                 std::pair{nft::Hook::Output, nft::Dir::Dst},
                                 std::pair{nft::Hook::Forward, nft::Dir::Dst}}) {
            nft::Chain c{hook == nft::Hook::Input    ? "input"
                         : hook == nft::Hook::Output ? "output"
                                                     : "forward",
                         nft::BaseChain{nft::ChainType::Filter, hook, 0},
                         {}};
            for (auto [family, name] : {std::pair{Family::V4, "v4"}, std::pair{Family::V6, "v6"}}) {
                c.rules.push_back(nft::Rule{}
                                      .family(family)
                                      .add(nft::MatchAddr{dir, family, {}, name, false})
                                      .counter()
                                      .drop()
                                      .withComment(std::string("blocked ") + name));
            }
            t.chains.push_back(c);
        }
        DesiredState d;
        d.tables.push_back(t);
        return d;
    }

    std::string describe() const override {
        std::string list;
        for (auto& p : blocked_.prefixes())
            list += (list.empty() ? "\"" : ", \"") + p.str() + "\"";
        return "{\"prefixes\": [" + list + "]}";
    }

  private:
    PrefixSet blocked_;
};

}  // namespace blocklist

WEFT_PLUGIN(blocklist::Blocklist)
