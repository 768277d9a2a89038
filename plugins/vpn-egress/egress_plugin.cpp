#include "egress_plugin.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "egress_schema.hpp"
#include "egress_state.hpp"
#include "weft/json.hpp"

namespace weft::egress {

namespace {

using Clock = std::chrono::system_clock;
using Row = std::map<std::string, std::string>;

constexpr auto kHandshakeMaxAge = std::chrono::seconds(180);
constexpr auto kTick = std::chrono::milliseconds(100);

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

std::string isoTime(Clock::time_point t) {
    if (t == Clock::time_point{})
        return "";
    auto secs = Clock::to_time_t(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&secs));
    return buf;
}

// An unknown name as the error reply quotes it: a 1 MB argument must not come back whole.
// Cut on a UTF-8 boundary (the message goes onto the bus).
std::string clipped(const std::string& text) {
    constexpr size_t kMax = 200;
    if (text.size() <= kMax)
        return text;
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    return text.substr(0, cut) + "\u2026 (" + std::to_string(text.size()) + " bytes)";
}

// A probe's timeout: within the interval, so rounds never overlap, and never above 2 s.
std::chrono::milliseconds probeTimeout(std::chrono::milliseconds interval) {
    auto t = interval * 9 / 10;
    return std::clamp(t, std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
}

}  // namespace

PluginInfo EgressPlugin::info() const {
    return {"vpn-egress", "1.0", "org.weft.Weft1.VpnEgress",
            "clients' internet traffic out through N VPN gateways, with a kill switch"};
}

Schema EgressPlugin::schema() const {
    return egressSchema();
}

void EgressPlugin::validate(const Config& config) const {
    readSettings(config);
}

Lease EgressPlugin::lease(const Config& config) const {
    Settings s = readSettings(config);
    Lease l;
    l.nftTables = {kTable};
    uint32_t n = uint32_t(std::max<size_t>(s.gateways.size(), 1));
    l.routingTables = {{s.table, s.table + n - 1}};
    l.rulePriorities = {{kPriorityFirst, kPriorityLast}};
    l.markBits = s.mark.mask;
    for (auto& g : s.gateways) {
        if (g.managed)
            l.links.push_back(g.interface);
    }
    for (auto& c : egressSysctls())
        l.sysctls.push_back(c.key);
    return l;
}

void EgressPlugin::configure(const Config& config) {
    settings_ = readSettings(config);
    keys_.clear();
    for (auto& g : settings_.gateways) {
        if (g.managed)
            keys_[g.name] = readPrivateKey(g.keyFile);  // checked by validate()
    }
    if (owners_.size() != settings_.buckets)
        owners_ = BucketOwners(settings_.buckets);
    std::map<std::string, GatewayHealth> health;
    for (auto& g : settings_.gateways) {
        auto old = health_.find(g.name);
        GatewayHealth h = old != health_.end() ? old->second : GatewayHealth{};
        h.setThresholds(g.failAfter, g.recoverAfter);
        health.emplace(g.name, h);
    }
    health_ = std::move(health);
    for (auto it = forwardPorts_.begin(); it != forwardPorts_.end();) {
        bool known = std::any_of(settings_.forwards.begin(), settings_.forwards.end(),
                                 [&](auto& f) { return f.name == it->first; });
        it = known ? std::next(it) : forwardPorts_.erase(it);
    }
    rebalance();
    if (host_) {
        startTimers();
        saveState();
    }
}

void EgressPlugin::start(Host& host) {
    host_ = &host;
    loadState();
    rebalance();
    registerBus();
    // A tunnel that comes up gets its route (the kernel refuses one into a link that is down).
    host.onLinksChanged([this] { host_->requestReconcile(); });
    startTimers();
    tickTimer_ = host.addTimer(kTick, [this] { tick(); });
    saveState();
}

void EgressPlugin::stop() {
    if (host_) {
        cancelTimers();
        host_->cancelTimer(tickTimer_);
    }
    host_ = nullptr;
}

void EgressPlugin::cancelTimers() {
    for (auto& [name, id] : timers_)
        host_->cancelTimer(id);
    timers_.clear();
}

void EgressPlugin::startTimers() {
    cancelTimers();
    for (auto& g : settings_.gateways) {
        std::string name = g.name;
        timers_[name] = host_->addTimer(g.interval, [this, name] { checkGateway(name); });
    }
}

std::set<std::string> EgressPlugin::healthyNames() const {
    std::set<std::string> out;
    for (auto& [name, h] : health_) {
        if (h.up())
            out.insert(name);
    }
    return out;
}

void EgressPlugin::rebalance() {
    std::map<std::string, uint32_t> weights;
    for (auto& g : settings_.gateways) {
        auto h = health_.find(g.name);
        if (h != health_.end() && h->second.up())
            weights[g.name] = g.weight;
    }
    owners_.rebalance(weights);
}

// ---------------------------------------------------------------- health
void EgressPlugin::checkGateway(const std::string& name) {
    const Gateway* g = settings_.gateway(name);
    if (!g || inFlight_[name] > 0)
        return;  // the previous round is still out
    auto links = host_->links();
    auto link = std::find_if(links.begin(), links.end(),
                             [&](const LinkInfo& l) { return l.name == g->interface; });
    if (link == links.end() || !link->up) {
        finishRound(name, false,
                    "interface " + g->interface + (link == links.end() ? " missing" : " down"));
        return;
    }
    roundError_[name].clear();
    std::vector<HealthCheck> probes;
    for (auto& c : g->checks) {
        if (c.kind != HealthCheck::Kind::Handshake) {
            probes.push_back(c);
            continue;
        }
        auto peers = host_->wireguardStatus(g->interface);
        auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
                       .count();
        bool fresh =
            peers && std::any_of(peers->begin(), peers->end(), [&](auto& p) {
                return p.lastHandshake > 0 && now - p.lastHandshake < kHandshakeMaxAge.count();
            });
        if (!fresh)
            roundError_[name] = "no handshake within 180 s";
    }
    if (probes.empty()) {
        finishRound(name, roundError_[name].empty(), roundError_[name]);
        return;
    }
    inFlight_[name] = int(probes.size());
    for (auto& c : probes) {
        ProbeRequest r;
        r.kind = c.kind == HealthCheck::Kind::Icmp  ? ProbeRequest::Kind::IcmpEcho
                 : c.kind == HealthCheck::Kind::Tcp ? ProbeRequest::Kind::TcpConnect
                                                    : ProbeRequest::Kind::Dns;
        r.target = c.address;
        r.port = c.port;
        r.fwmark = g->mark;  // through this gateway's table, as its clients' packets go
        r.timeout = probeTimeout(g->interval);
        std::string text = c.text;
        host_->probe(r, [this, name, text](const ProbeResult& res) {
            if (res.status != ProbeResult::Status::Ok && roundError_[name].empty()) {
                roundError_[name] =
                    text + ": " +
                    (res.status == ProbeResult::Status::Timeout ? "timeout" : res.error);
            }
            if (--inFlight_[name] == 0)
                finishRound(name, roundError_[name].empty(), roundError_[name]);
        });
    }
}

void EgressPlugin::finishRound(const std::string& name, bool passed, const std::string& error) {
    auto h = health_.find(name);
    const Gateway* g = settings_.gateway(name);
    if (h == health_.end() || !g)
        return;
    // Only a change of state is announced: the property carries flow counts, a conntrack
    // dump each time it is read.
    if (h->second.record(passed, error, Clock::now()))
        onStateChange(*g, h->second.state());
    else if (h->second.state() == GatewayHealth::State::Down)
        flushMarks_.insert(g->mark);  // flows that slipped in while it went down
}

void EgressPlugin::onStateChange(const Gateway& g, GatewayHealth::State s) {
    host_->log(
        s == GatewayHealth::State::Up ? LogLevel::Notice : LogLevel::Warning,
        "gateway " + g.name + " is " + GatewayHealth::name(s) +
            (s == GatewayHealth::State::Down ? " (" + health_.at(g.name).lastError() + ")" : ""));
    rebalance();
    if (s == GatewayHealth::State::Down) {
        // Its flows go once the new bucket map is in the kernel, so their next packets take
        // a healthy gateway (and their clients, reset by the far end, reconnect at once).
        flushMarks_.insert(g.mark);
        flushAfter_ = generation_;
    }
    saveState();
    host_->requestReconcile();
    host_->bus().emitSignal("GatewayStateChanged", {g.name, GatewayHealth::name(s)});
    host_->bus().emitPropertiesChanged({"Gateways"});
}

void EgressPlugin::tick() {
    if (flushMarks_.empty() || generation_ <= flushAfter_)
        return;
    for (uint32_t mark : flushMarks_) {
        FlowFilter f;
        f.ctMark = Mark{mark, settings_.mark.mask};
        try {
            if (auto n = host_->deleteFlows(f))
                host_->log(LogLevel::Info,
                           "deleted " + std::to_string(n) + " flows of mark " + hex(mark));
        } catch (const std::exception& e) {
            host_->log(LogLevel::Warning, std::string("deleting flows: ") + e.what());
        }
    }
    flushMarks_.clear();
}

// ---------------------------------------------------------------- desired state
DesiredState EgressPlugin::desiredState() {
    ++generation_;
    EgressInputs in;
    in.settings = &settings_;
    in.owners = &owners_;
    in.healthy = healthyNames();
    in.forwardPorts = forwardPorts_;
    in.keys = keys_;
    std::vector<Prefix> fromSets;
    for (auto& name : settings_.clientSets) {
        if (auto set = host_->resolveSet(name)) {
            for (auto& p : set->prefixes())
                fromSets.push_back(p);
        }
    }
    in.clientSets = PrefixSet(fromSets);
    for (auto& l : host_->links()) {
        if (l.up)
            in.links.insert(l.name);
    }
    return egressState(in);
}

// ---------------------------------------------------------------- status
std::vector<Row> EgressPlugin::gatewayRows() const {
    std::map<uint32_t, uint64_t> flows;
    try {
        flows = host_->countFlowsByMark(settings_.mark.mask, std::nullopt);
    } catch (const std::exception&) {
        // status without flow counts rather than no status
    }
    auto buckets = owners_.counts();
    std::vector<Row> rows;
    for (auto& g : settings_.gateways) {
        auto& h = health_.at(g.name);
        Row r{{"name", g.name},
              {"interface", g.interface},
              {"managed", g.managed ? "yes" : "no"},
              {"state", GatewayHealth::name(h.state())},
              {"weight", std::to_string(g.weight)},
              {"mark", hex(g.mark)},
              {"table", std::to_string(g.table)},
              {"buckets", std::to_string(h.up() ? buckets[g.name] : 0)},
              {"flows", std::to_string(flows.count(g.mark) ? flows.at(g.mark) : 0)},
              {"history", h.history()},
              {"lastChange", isoTime(h.lastChange())},
              {"lastError", h.lastError()}};
        uint64_t rx = 0, tx = 0;
        if (g.managed) {
            if (auto peers = host_->wireguardStatus(g.interface)) {
                for (auto& p : *peers) {
                    rx += p.rxBytes;
                    tx += p.txBytes;
                }
            }
        }
        r["rx"] = std::to_string(rx);
        r["tx"] = std::to_string(tx);
        rows.push_back(std::move(r));
    }
    return rows;
}

std::string EgressPlugin::describe() const {
    Json j = Json::object();
    Json gws = Json::array();
    if (host_) {
        for (auto& row : gatewayRows()) {
            Json g = Json::object();
            for (auto& [k, v] : row)
                g[k] = v;
            gws.push_back(g);
        }
    }
    j["gateways"] = gws;
    j["buckets"] = settings_.buckets;
    j["hashSeed"] = hex(settings_.seed);
    j["killSwitch"] = settings_.killSwitch;
    j["mark"] = Mark{0, settings_.mark.mask}.str();
    Json fwd = Json::array();
    for (auto& f : settings_.forwards) {
        Json x = Json::object();
        x["name"] = f.name;
        x["gateway"] = f.gateway;
        x["protocol"] = f.protocol == 6 ? "tcp" : "udp";
        x["port"] = forwardPorts_.count(f.name) ? forwardPorts_.at(f.name) : f.port;
        x["to"] = f.to.str();
        fwd.push_back(x);
    }
    j["portForwards"] = fwd;
    if (host_) {
        try {
            auto c = host_->counters(nft::TableFamily::Inet, kTable);
            j["killSwitchRejected"] = c.count("killswitch") ? c.at("killswitch").packets : 0;
        } catch (const std::exception&) {
        }
    }
    return jsonText(j);
}

void EgressPlugin::registerBus() {
    auto& bus = host_->bus();
    bus.addProperty("Gateways", "aa{ss}", [this] { return BusValue{gatewayRows()}; });
    bus.addSignal("GatewayStateChanged", {{"name", "s"}, {"state", "s"}});
    bus.addMethod(
        "SetForwardedPort", {{"forward", "s"}, {"port", "u"}}, {},
        [this](const std::vector<BusValue>& in) {
            auto name = std::get<std::string>(in.at(0));
            auto port = std::get<uint32_t>(in.at(1));
            bool known = std::any_of(settings_.forwards.begin(), settings_.forwards.end(),
                                     [&](auto& f) { return f.name == name; });
            if (!known)
                throw BusError("NotFound", "forward: no [PortForward " + clipped(name) + "]");
            if (port < 1 || port > 65535)
                throw BusError("InvalidArgument",
                               "port: " + std::to_string(port) + " is not a port (1-65535)");
            forwardPorts_[name] = uint16_t(port);
            saveState();
            host_->requestReconcile();
            host_->log(LogLevel::Notice,
                       "port forward " + name + " now on port " + std::to_string(port));
            return std::vector<BusValue>{};
        },
        true);
}

// ---------------------------------------------------------------- state across restarts
void EgressPlugin::loadState() {
    auto file = host_->runtimeDirectory() / "state.json";
    std::ifstream in(file);
    if (!in)
        return;
    try {
        Json j = Json::parse(in);
        if (j.contains("gateways")) {
            for (auto& [name, state] : j.at("gateways").items()) {
                auto h = health_.find(name);
                if (h != health_.end())
                    h->second.restore(GatewayHealth::fromName(state.get<std::string>()));
            }
        }
        if (j.contains("buckets")) {
            auto last = j.contains("balancedFor")
                            ? j.at("balancedFor").get<std::map<std::string, uint32_t>>()
                            : std::map<std::string, uint32_t>{};
            owners_.restore(j.at("buckets").get<std::vector<std::string>>(), last);
        }
        if (j.contains("ports")) {
            for (auto& item : j.at("ports").items()) {
                const std::string& name = item.key();
                bool known = std::any_of(settings_.forwards.begin(), settings_.forwards.end(),
                                         [&](auto& f) { return f.name == name; });
                if (known)
                    forwardPorts_[name] = item.value().get<uint16_t>();
            }
        }
    } catch (const std::exception& e) {
        host_->log(LogLevel::Warning, "ignoring " + file.string() + ": " + e.what());
    }
}

void EgressPlugin::saveState() const {
    if (!host_)
        return;
    Json j = Json::object();
    Json gws = Json::object();
    for (auto& [name, h] : health_)
        gws[name] = GatewayHealth::name(h.state());
    j["gateways"] = gws;
    j["buckets"] = owners_.owners();
    j["balancedFor"] = owners_.lastHealthy();
    Json ports = Json::object();
    for (auto& [name, port] : forwardPorts_)
        ports[name] = port;
    j["ports"] = ports;
    auto dir = host_->runtimeDirectory();
    auto tmp = dir / "state.json.tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << jsonText(j);
    }
    std::error_code ec;
    std::filesystem::rename(tmp, dir / "state.json", ec);
}

}  // namespace weft::egress
