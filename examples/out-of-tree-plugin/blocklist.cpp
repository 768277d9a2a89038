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
        KeySpec prefixes;
        prefixes.name = "Prefixes";
        prefixes.type = ValueType::Prefix;
        prefixes.repeated = true;
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
        nft::Table table;
        table.name = "weft_blocklist";
        for (auto [family, name] : {std::pair{Family::V4, "v4"}, std::pair{Family::V6, "v6"}}) {
            nft::Set set;
            set.name = name;
            set.keyType = family == Family::V4 ? nft::DataType::Ipv4Addr : nft::DataType::Ipv6Addr;
            set.interval = true;
            for (auto& p : blocked_.prefixes(family))
                set.elements.push_back({p, {}});
            table.sets.push_back(set);
        }
        for (auto [hook, dir, chainName] :
             {std::tuple{nft::Hook::Input, nft::Dir::Src, "input"},
              std::tuple{nft::Hook::Output, nft::Dir::Dst, "output"},
              std::tuple{nft::Hook::Forward, nft::Dir::Dst, "forward"}}) {
            nft::Chain chain;
            chain.name = chainName;
            chain.base = nft::BaseChain{nft::ChainType::Filter, hook, 0, nft::Verdict::Accept};
            for (auto [family, set] : {std::pair{Family::V4, "v4"}, std::pair{Family::V6, "v6"}}) {
                nft::Rule rule;
                rule.family(family).add(nft::MatchAddr{dir, family, std::nullopt, set, false});
                chain.rules.push_back(
                    rule.counter().drop().withComment(std::string("blocked ") + set));
            }
            table.chains.push_back(chain);
        }
        DesiredState d;
        d.tables.push_back(table);
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
