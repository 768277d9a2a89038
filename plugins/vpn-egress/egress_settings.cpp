#include "egress_settings.hpp"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "egress_schema.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::egress {

namespace {

bool validInterfaceName(const std::string& s) {
    if (s.empty() || s.size() > 15 || s == "." || s == "..")
        return false;
    for (char c : s) {
        if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
            return false;
    }
    return true;
}

// "ADDR:PORT" or "[V6]:PORT".
std::optional<std::pair<Address, uint16_t>> addressPort(const std::string& s) {
    auto e = Endpoint::parse(s);
    if (!e)
        return std::nullopt;
    return std::make_pair(e->address, e->port);
}

std::optional<HealthCheck> parseCheck(const std::string& text) {
    HealthCheck c;
    c.text = text;
    if (text == "handshake")
        return c;
    auto colon = text.find(':');
    if (colon == std::string::npos)
        return std::nullopt;
    std::string kind = text.substr(0, colon), rest = text.substr(colon + 1);
    if (kind == "icmp" || kind == "dns") {
        auto a = Address::parse(rest);
        if (!a)
            return std::nullopt;
        c.kind = kind == "icmp" ? HealthCheck::Kind::Icmp : HealthCheck::Kind::Dns;
        c.address = *a;
        c.port = kind == "dns" ? 53 : 0;
        return c;
    }
    if (kind == "tcp") {
        auto ap = addressPort(rest);
        if (!ap || ap->second == 0)
            return std::nullopt;
        c.kind = HealthCheck::Kind::Tcp;
        c.address = ap->first;
        c.port = ap->second;
        return c;
    }
    return std::nullopt;
}

ConfigError at(const Section& s, const Setting& where, const std::string& key,
               const std::string& reason) {
    return ConfigError{where.where, s.id.empty() ? s.name : s.name + " " + s.id, key, reason};
}

unsigned shiftOf(uint32_t mask) {
    unsigned s = 0;
    while (s < 32 && !(mask & (1u << s)))
        ++s;
    return s;
}

void readEgress(const Section& s, Settings& out, std::vector<ConfigError>& errors) {
    for (auto* c : s.all("Clients")) {
        const std::string& v = c->text;
        if (!v.empty() && v[0] == '@') {
            if (v.find('/') == std::string::npos || v.size() < 4)
                errors.push_back(at(s, *c, "Clients", "\"" + v + "\": a set is @plugin/name"));
            else
                out.clientSets.push_back(v.substr(1));
        } else if (auto p = Prefix::parseLoose(v)) {
            out.clientPrefixes.push_back(*p);
        } else if (validInterfaceName(v)) {
            out.clientInterfaces.push_back(v);
        } else {
            errors.push_back(at(s, *c, "Clients",
                                "\"" + v +
                                    "\" is neither a prefix, an @plugin/set nor an "
                                    "interface name"));
        }
    }
    out.exclude = s.prefixes("Exclude");
    out.killSwitch = s.boolean("KillSwitch", true);
    out.buckets = uint32_t(s.integer("Buckets", 256));
    out.seed = uint32_t(s.integer("HashSeed", 0x5eed));
    if (auto* d = s.find("DNS"))
        out.dns = std::get<Address>(d->value);
    out.mark = s.mark("Mark").value_or(out.mark);
    out.table = uint32_t(s.integer("Table", 1100));
    out.priority = uint32_t(s.integer("Priority", 7100));
    if (out.mark.mask == 0)
        errors.push_back(s.error("Mark", "the mask has no bits"));
}

Gateway readGateway(const Section& s, std::vector<ConfigError>& errors) {
    Gateway g;
    g.name = s.id;
    g.interface = s.str("Interface");
    g.mtu = unsigned(s.integer("MTU", 1420));
    g.weight = uint32_t(s.integer("Weight", 1));
    g.interval = s.duration("Interval", std::chrono::milliseconds(1000));
    g.failAfter = unsigned(s.integer("FailAfter", 3));
    g.recoverAfter = unsigned(s.integer("RecoverAfter", 3));
    // A huge interval overflows the timer's clock; under 100ms the probes only burn CPU.
    if (g.interval < std::chrono::milliseconds(100) || g.interval > std::chrono::hours(1))
        errors.push_back(s.error("Interval", "must be between 100ms and 1h"));
    if (s.has("PrivateKeyFile")) {
        g.managed = true;
        g.keyFile = s.str("PrivateKeyFile");
        try {
            readPrivateKey(g.keyFile);
        } catch (const std::exception& e) {
            errors.push_back(s.error("PrivateKeyFile", e.what()));
        }
        for (const char* k : {"PeerPublicKey", "PeerEndpoint", "Address"}) {
            if (!s.has(k))
                errors.push_back(s.error("PrivateKeyFile", std::string("a tunnel weft creates "
                                                                       "needs ") +
                                                               k + "= too"));
        }
        g.peerPublicKey = s.str("PeerPublicKey");
        if (auto e = s.endpoints("PeerEndpoint"); !e.empty())
            g.peerEndpoint = e.back();
    } else {
        for (const char* k : {"PeerPublicKey", "PeerEndpoint", "Address"}) {
            if (s.has(k))
                errors.push_back(s.error(k, "only for a tunnel weft creates (PrivateKeyFile=)"));
        }
    }
    for (auto* a : s.all("Address")) {
        auto ia = InterfaceAddress::parse(a->text);
        if (!ia || a->text.find('/') == std::string::npos)
            errors.push_back(at(s, *a, "Address", "\"" + a->text + "\" is not ADDRESS/LENGTH"));
        else
            g.addresses.push_back(*ia);
    }
    for (auto* c : s.all("HealthCheck")) {
        auto check = parseCheck(c->text);
        if (!check) {
            errors.push_back(at(
                s, *c, "HealthCheck",
                "\"" + c->text + "\": expected handshake, icmp:ADDR, tcp:ADDR:PORT or dns:ADDR"));
        } else if (check->kind == HealthCheck::Kind::Handshake && !g.managed) {
            errors.push_back(
                at(s, *c, "HealthCheck", "handshake: only for a WireGuard tunnel weft creates"));
        } else {
            g.checks.push_back(*check);
        }
    }
    if (g.managed && s.all("HealthCheck").empty())
        g.checks.push_back(*parseCheck("handshake"));
    return g;
}

}  // namespace

const Gateway* Settings::gateway(const std::string& name) const {
    for (auto& g : gateways) {
        if (g.name == name)
            return &g;
    }
    return nullptr;
}

std::string readPrivateKey(const std::filesystem::path& file) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0)
        throw std::runtime_error(file.string() + ": cannot be read");
    if (!S_ISREG(st.st_mode))
        throw std::runtime_error(file.string() + ": not a regular file");
    if (st.st_mode & 077)
        throw std::runtime_error(file.string() +
                                 ": readable by group or others; chmod 600 it (a private key)");
    if (st.st_size > 4096)
        throw std::runtime_error(file.string() + ": too large for a key");
    std::ifstream in(file);
    std::string key;
    in >> key;
    if (!wg::isValidKey(key))
        throw std::runtime_error(file.string() + ": not a base64 WireGuard key");
    return key;
}

Settings readSettings(const Config& config) {
    Settings out;
    std::vector<ConfigError> errors;
    if (const Section* e = config.section("Egress"))
        readEgress(*e, out, errors);
    else
        errors.push_back(
            ConfigError{{}, "Egress", "", "section [Egress] with Clients= is required"});
    std::set<std::string> interfaces;
    unsigned shift = shiftOf(out.mark.mask);
    uint32_t index = 0;
    for (const Section* s : config.named("Gateway")) {
        Gateway g = readGateway(*s, errors);
        ++index;
        if (!interfaces.insert(g.interface).second)
            errors.push_back(s->error("Interface", g.interface + " is another gateway's too"));
        uint64_t value = uint64_t(index) << shift;
        if (shift >= 32 || value > 0xffffffffull || (uint32_t(value) & ~out.mark.mask)) {
            errors.push_back(s->error("Interface",
                                      "too many gateways for the mark mask of "
                                      "[Egress] Mark="));
        }
        g.mark = uint32_t(value);
        g.table = out.table + index - 1;
        g.priority = out.priority + index - 1;
        if (g.priority > kPriorityLast)
            errors.push_back(s->error("Interface",
                                      "too many gateways for the priority range "
                                      "from [Egress] Priority= to 7199"));
        out.gateways.push_back(std::move(g));
    }
    if (out.gateways.empty())
        errors.push_back(ConfigError{{}, "Gateway", "", "at least one [Gateway NAME] is required"});
    for (const Section* s : config.named("PortForward")) {
        PortForward f;
        f.name = s->id;
        f.gateway = s->str("Gateway");
        f.protocol = s->str("Protocol") == "udp" ? 17 : 6;
        f.port = uint16_t(s->portRanges("Port").empty() ? 0 : s->portRanges("Port")[0].first);
        if (auto to = s->endpoints("To"); !to.empty())
            f.to = to.back();
        if (!out.gateway(f.gateway))
            errors.push_back(s->error("Gateway", "no [Gateway " + f.gateway + "]"));
        out.forwards.push_back(std::move(f));
    }
    if (!errors.empty())
        throw ConfigException(std::move(errors));
    return out;
}

}  // namespace weft::egress
