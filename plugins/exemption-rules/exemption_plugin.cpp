#include "exemption_plugin.hpp"

#include <algorithm>

#include "weft/json.hpp"

namespace weft::exempt {

Schema ExemptionPlugin::schema() const {
    auto key = [](std::string n, ValueType t, std::optional<std::string> def = {},
                  bool rep = false) {
        KeySpec k{std::move(n), t, rep};
        k.defaultValue = std::move(def);
        return k;
    };
    KeySpec peers = key("Peers", ValueType::PrefixOrSet, {}, true);
    peers.required = true;
    KeySpec proto = key("Protocol", ValueType::Enum, "tcp");
    proto.choices = {"tcp", "udp", "both"};
    KeySpec table = key("Table", ValueType::Int, "254");
    table.min = 1;
    table.max = 4294967295;
    KeySpec prio = key("Priority", ValueType::Int, std::to_string(kPriorityFirst));
    prio.min = kPriorityFirst;
    prio.max = kPriorityLast;
    KeySpec mark = key("Mark", ValueType::Mark, "0x400000/0x400000");
    mark.help = "mark of exempt flows (looked up in main before fwmark-routing's rule)";
    return Schema{{SectionSpec{"Global", false, {mark}, "plugin-wide settings"},
                   SectionSpec{"Exemption",
                               true,
                               {peers, proto, key("Ports", ValueType::PortRange, {}, true),
                                key("LocalPorts", ValueType::PortRange, {}, true), table, prio},
                               "traffic that bypasses the mesh"}}};
}

std::vector<Exemption> ExemptionPlugin::read(const Config& config) const {
    std::vector<Exemption> out;
    std::vector<ConfigError> errors;
    for (auto* s : config.named("Exemption")) {
        Exemption e;
        e.name = s->id;
        e.peers = s->prefixOrSets("Peers");
        std::string p = s->str("Protocol");
        if (p != "udp")
            e.protocols.push_back(6);
        if (p != "tcp")
            e.protocols.push_back(17);
        e.ports = s->portRanges("Ports");
        e.localPorts = s->portRanges("LocalPorts");
        e.table = uint32_t(s->integer("Table"));
        e.priority = uint32_t(s->integer("Priority"));
        if (e.ports.empty() && e.localPorts.empty()) {
            errors.push_back(s->error("Ports", "set Ports= and/or LocalPorts=: nothing to exempt"));
        }
        out.push_back(e);
    }
    if (!errors.empty())
        throw ConfigException(errors);
    return out;
}

Lease ExemptionPlugin::lease(const Config& config) const {
    Lease l;
    l.nftTables = {"weft_exemption_rules"};
    l.rulePriorities = {{kPriorityFirst, kPriorityLast}};
    l.markBits = config.section("Global")->mark("Mark")->mask;
    return l;
}

void ExemptionPlugin::configure(const Config& config) {
    exemptions_ = read(config);
    mark_ = *config.section("Global")->mark("Mark");
}

void ExemptionPlugin::start(Host& host) {
    host_ = &host;
    // Reply rules follow the node's addresses.
    host.onLinksChanged([this] { host_->requestReconcile(); });
}

std::vector<Address> ExemptionPlugin::localAddresses() const {
    std::vector<Address> out;
    if (!host_)
        return out;
    for (auto& l : host_->links()) {
        if (l.name == "lo")
            continue;
        for (auto& a : l.addresses) {
            const auto& b = a.address.bytes;
            bool linkLocal = a.address.family == Family::V6
                                 ? (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
                                 : (b[0] == 169 && b[1] == 254);
            if (!linkLocal)
                out.push_back(a.address);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

PrefixSet ExemptionPlugin::peersOf(const Exemption& e) const {
    std::vector<Prefix> all;  // one normalization for the whole list
    for (auto& p : e.peers) {
        if (p.prefix) {
            all.push_back(*p.prefix);
        } else if (auto s = host_ ? host_->resolveSet(p.setName) : std::nullopt) {
            all.insert(all.end(), s->prefixes().begin(), s->prefixes().end());
        }
    }
    return PrefixSet(all);
}

std::vector<RoutingRule> ExemptionPlugin::rulesFor(const Exemption& e) const {
    std::vector<RoutingRule> rules;
    PrefixSet peers = peersOf(e);
    auto locals = localAddresses();
    for (auto& peer : peers.prefixes()) {
        for (uint8_t proto : e.protocols) {
            RoutingRule base;
            base.family = peer.family();
            base.priority = e.priority;
            base.table = e.table;
            base.ipproto = proto;
            base.to = peer;
            for (auto& range : e.ports) {  // to the peers' listeners
                RoutingRule r = base;
                r.dport = range;
                rules.push_back(r);
            }
            for (auto& local : locals) {  // replies of our own listeners to the peers
                if (local.family != peer.family())
                    continue;
                for (auto& range : e.localPorts) {
                    RoutingRule r = base;
                    r.from = Prefix::host(local);
                    r.sport = range;
                    rules.push_back(r);
                }
            }
        }
    }
    return rules;
}

static nft::Set addressSet(const std::string& name, Family f, const std::vector<Prefix>& members) {
    nft::Set s{name, f == Family::V4 ? nft::DataType::Ipv4Addr : nft::DataType::Ipv6Addr, {}, true};
    for (auto& p : members) {
        if (p.family() == f)
            s.elements.push_back({p, {}});
    }
    return s;
}

static nft::Set portSet(const std::string& name, const std::vector<PortRange>& ports) {
    nft::Set s{name, nft::DataType::InetService, {}, true};
    for (auto& p : ports)
        s.elements.push_back({p, {}});
    return s;
}

void ExemptionPlugin::addMarking(nft::Table& t, const Exemption& e) const {
    auto peers = peersOf(e).prefixes();
    for (Family f : {Family::V4, Family::V6}) {
        t.sets.push_back(addressSet(e.name + "_peers" + (f == Family::V4 ? "4" : "6"), f, peers));
    }
    if (!e.ports.empty())
        t.sets.push_back(portSet(e.name + "_ports", e.ports));
    if (!e.localPorts.empty())
        t.sets.push_back(portSet(e.name + "_lports", e.localPorts));
    auto& chain = t.chains.front();
    for (Family f : {Family::V4, Family::V6}) {
        std::string sfx = f == Family::V4 ? "4" : "6";
        for (uint8_t proto : e.protocols) {
            if (!e.ports.empty()) {
                nft::Rule r;
                r.family(f).daddrIn(f, e.name + "_peers" + sfx).l4proto(proto);
                r.add(nft::MatchPort{nft::Dir::Dst, {}, e.name + "_ports", false});
                chain.rules.push_back(
                    r.setMark(mark_).counter().withComment(e.name + ": to peers"));
            }
            if (!e.localPorts.empty()) {
                nft::Rule r;
                r.family(f)
                    .saddrIn(f, "local" + sfx)
                    .daddrIn(f, e.name + "_peers" + sfx)
                    .l4proto(proto);
                r.add(nft::MatchPort{nft::Dir::Src, {}, e.name + "_lports", false});
                chain.rules.push_back(r.setMark(mark_).counter().withComment(e.name + ": replies"));
            }
        }
    }
}

DesiredState ExemptionPlugin::desiredState() {
    DesiredState d;
    auto addRule = [&](const RoutingRule& r) {
        if (std::find(d.rules.begin(), d.rules.end(), r) == d.rules.end())
            d.rules.push_back(r);
    };
    for (auto& e : exemptions_) {
        for (auto& r : rulesFor(e))
            addRule(r);
        for (Family f : {Family::V4, Family::V6}) {  // the exempt mark, for re-routed packets
            RoutingRule r;
            r.family = f;
            r.priority = e.priority;
            r.fwmark = mark_;
            r.table = e.table;
            addRule(r);
        }
    }
    // After fwmark-routing's route chain (-150), so the re-route here sees our mark.
    nft::Table t{nft::TableFamily::Inet, "weft_exemption_rules", {}, {}};
    t.chains.push_back(
        nft::Chain{"output", nft::BaseChain{nft::ChainType::Route, nft::Hook::Output, -140}, {}});
    std::vector<Prefix> locals;
    for (auto& a : localAddresses())
        locals.push_back(Prefix::host(a));
    t.sets.push_back(addressSet("local4", Family::V4, locals));
    t.sets.push_back(addressSet("local6", Family::V6, locals));
    for (auto& e : exemptions_)
        addMarking(t, e);
    d.tables.push_back(t);
    return d;
}

static std::string ruleText(const RoutingRule& r) {
    std::string s = std::string(r.family == Family::V6 ? "ip -6 rule " : "ip rule ") +
                    std::to_string(r.priority) + ":";
    if (r.from)
        s += " from " + r.from->str();
    if (r.to)
        s += " to " + r.to->str();
    if (r.ipproto)
        s += *r.ipproto == 6 ? " ipproto tcp" : " ipproto udp";
    if (r.sport)
        s += " sport " + r.sport->str();
    if (r.dport)
        s += " dport " + r.dport->str();
    return s + " lookup " + (r.table == 254 ? std::string("main") : std::to_string(r.table));
}

std::string ExemptionPlugin::describe() const {
    Json list = Json::array();
    for (auto& e : exemptions_) {
        Json j = Json::object();
        j["name"] = e.name;
        j["protocol"] = e.protocols.size() == 2 ? "both" : e.protocols.front() == 6 ? "tcp" : "udp";
        std::string ports, local;
        for (auto& p : e.ports)
            ports += (ports.empty() ? "" : " ") + p.str();
        for (auto& p : e.localPorts)
            local += (local.empty() ? "" : " ") + p.str();
        j["ports"] = ports;
        j["localPorts"] = local;
        j["table"] = int64_t(e.table);
        j["priority"] = int64_t(e.priority);
        Json rules = Json::array();
        for (auto& r : rulesFor(e))
            rules.push_back(ruleText(r));
        j["rules"] = rules;
        list.push_back(j);
    }
    Json j = Json::object();
    j["exemptions"] = list;
    return jsonText(j);
}

}  // namespace weft::exempt
