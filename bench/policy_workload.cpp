#include "policy_workload.hpp"

#include <sstream>

namespace weft::bench {

namespace {

using namespace weft::nft;

Address v4(unsigned a, unsigned b, unsigned c, unsigned d) {
    uint8_t bytes[4] = {uint8_t(a), uint8_t(b), uint8_t(c), uint8_t(d)};
    return Address::fromBytes(Family::V4, bytes);
}
// Policy k's pod (the vmap key), its j-th peer, and the network its port rules admit.
Address pod(unsigned k) {
    return v4(10, 200, k >> 8, k & 255);
}
Address peer(unsigned k, unsigned j) {
    return v4(10, 100 + j, k >> 8, k & 255);
}
Prefix sourceNet(unsigned k) {
    return Prefix::make(v4(172, 16 + k % 16, 0, 0), 16);
}

/// A set or map both ways: its definition and elements as the engine and as nft take them.
struct TwinSet {
    Set set;
    std::string type;  ///< nft's "type ..." clause
    std::vector<std::string> elements;

    void add(Element e, std::string text) {
        set.elements.insert(std::move(e));
        elements.push_back(std::move(text));
    }
    std::string text() const {
        std::string out = "\t" + std::string(set.dataType ? "map " : "set ") + set.name +
                          " {\n\t\ttype " + type + "\n\t\telements = { ";
        for (size_t i = 0; i < elements.size(); ++i)
            out += (i ? ", " : "") + elements[i];
        return out + " }\n\t}\n";
    }
};

TwinSet pods(unsigned policies) {
    TwinSet s{Set{"pods", DataType::Ipv4Addr, DataType::Verdict}, "ipv4_addr : verdict", {}};
    for (unsigned k = 0; k < policies; ++k) {
        s.add(Element{Prefix::host(pod(k)), VerdictData{Verdict::Jump, policyChain(k)}},
              pod(k).str() + " : jump " + policyChain(k));
    }
    return s;
}

TwinSet allowSet(unsigned k) {
    TwinSet s{Set{}, "ipv4_addr . inet_proto . inet_service", {}};
    s.set.name = "allow_" + std::to_string(k);
    s.set.concat = {DataType::Ipv4Addr, DataType::InetProto, DataType::InetService};
    struct Svc {
        uint32_t proto;
        const char* name;
        uint16_t port;
    };
    const Svc svcs[] = {{6, "tcp", 80}, {6, "tcp", 443}, {17, "udp", 5353}};
    for (unsigned j = 0; j < 3; ++j) {
        auto& v = svcs[j];
        s.add(Element{Concat{{Prefix::host(peer(k, j)), v.proto, PortRange{v.port, v.port}}}, {}},
              peer(k, j).str() + " . " + v.name + " . " + std::to_string(v.port));
    }
    return s;
}

TwinSet pairsSet(unsigned k) {
    TwinSet s{Set{}, "ipv4_addr . ipv4_addr", {}};
    s.set.name = "pairs_" + std::to_string(k);
    s.set.concat = {DataType::Ipv4Addr, DataType::Ipv4Addr};
    for (unsigned j = 0; j < 2; ++j) {
        s.add(Element{Concat{{Prefix::host(peer(k, j)), Prefix::host(pod(k))}}, {}},
              peer(k, j).str() + " . " + pod(k).str());
    }
    return s;
}

std::vector<TwinRule> forwardRules() {
    return {
        {Rule{}.ctState(CtEstablished | CtRelated).accept(), "ct state established,related accept"},
        {Rule{}.ctState(CtInvalid).drop(), "ct state invalid drop"},
        {Rule{}.family(Family::V4).vmap({Field::IpDaddr}, "pods"), "ip daddr vmap @pods"},
    };
}

void chainText(std::ostringstream& out, const std::string& name, const std::string& hook,
               const std::vector<TwinRule>& rules) {
    out << "\tchain " << name << " {\n" << hook;
    for (auto& r : rules)
        out << "\t\t" << r.text << "\n";
    out << "\t}\n";
}

}  // namespace

std::string policyChain(unsigned k) {
    return "pol_" + std::to_string(k);
}

uint16_t basePort(unsigned k) {
    return uint16_t(8000 + k % 1000 * 2);  // even: the bench toggles to the odd port above
}

std::vector<TwinRule> policyRules(unsigned k, uint16_t port) {
    const std::string n = std::to_string(k), net = sourceNet(k).str(), p = std::to_string(port);
    const auto v4f = Family::V4;
    std::vector<TwinRule> rules = {
        {Rule{}.ctState(CtEstablished | CtRelated).accept(), "ct state established,related accept"},
        {Rule{}.ctState(CtInvalid).counter().drop(), "ct state invalid counter drop"},
        {Rule{}
             .family(v4f)
             .in({Field::IpSaddr, Field::L4Proto, Field::Dport}, "allow_" + n)
             .counter()
             .accept(),
         "ip saddr . meta l4proto . th dport @allow_" + n + " counter accept"},
        {Rule{}.family(v4f).in({Field::IpSaddr, Field::IpDaddr}, "pairs_" + n).accept(),
         "ip saddr . ip daddr @pairs_" + n + " accept"},
        {Rule{}.family(v4f).saddr(sourceNet(k)).l4proto(6).dport({port, port}).counter().accept(),
         "ip saddr " + net + " tcp dport " + p + " counter accept"},
        {Rule{}.l4proto(17).dport({53, 53}).accept(), "udp dport 53 accept"},
        {Rule{}.family(v4f).add(MatchIcmpType{v4f, 8}).accept(), "icmp type echo-request accept"},
        {Rule{}.family(v4f).saddr(sourceNet(k)).l4proto(6).dport({9000, 9100}).accept(),
         "ip saddr " + net + " tcp dport 9000-9100 accept"},
        {Rule{}.limit(10).log("pol_" + n + " drop: "),
         "limit rate 10/second log prefix \"pol_" + n + " drop: \""},
        {Rule{}.counter("denied").drop(), "counter name \"denied\" drop"},
    };
    static_assert(kPolicyRules == 10 && kPortRule == 4, "keep in step with the list above");
    return rules;
}

std::vector<Rule> rulesOf(const std::vector<TwinRule>& twins) {
    std::vector<Rule> out;
    for (auto& t : twins)
        out.push_back(t.rule);
    return out;
}

PolicyRuleset policyRuleset(const std::string& table, const std::string& owner, unsigned policies) {
    PolicyRuleset out;
    Table& t = out.table;
    t.family = TableFamily::Inet;
    t.name = table;
    t.counters = {"denied"};
    std::ostringstream text;
    text << "table inet " << table << " {\n\tcomment \"weft:" << owner << "\"\n"
         << "\tcounter denied {\n\t}\n";

    std::vector<TwinSet> sets = {pods(policies)};
    for (unsigned k = 0; k < policies; ++k) {
        sets.push_back(allowSet(k));
        sets.push_back(pairsSet(k));
    }
    for (auto& s : sets) {
        out.elements += s.set.elements.size();
        text << s.text();
        t.sets.push_back(std::move(s.set));
    }

    auto fwd = forwardRules();
    t.chains.push_back(Chain{
        "forward", BaseChain{ChainType::Filter, Hook::Forward, 0, Verdict::Accept}, rulesOf(fwd)});
    chainText(text, "forward", "\t\ttype filter hook forward priority filter; policy accept;\n",
              fwd);
    out.rules += fwd.size();
    for (unsigned k = 0; k < policies; ++k) {
        auto rules = policyRules(k, basePort(k));
        t.chains.push_back(Chain{policyChain(k), std::nullopt, rulesOf(rules)});
        chainText(text, policyChain(k), "", rules);
        out.rules += rules.size();
    }
    text << "}\n";
    out.nftText = text.str();
    out.chains = t.chains.size();
    out.sets = t.sets.size();
    return out;
}

std::string chainChangeText(const std::string& table, unsigned k, uint16_t port) {
    std::string out = "flush chain inet " + table + " " + policyChain(k) + "\n";
    for (auto& r : policyRules(k, port))
        out += "add rule inet " + table + " " + policyChain(k) + " " + r.text + "\n";
    return out;
}

}  // namespace weft::bench
