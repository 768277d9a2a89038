#include "weave_plugin.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "manifest.hpp"
#include "object_merge.hpp"
#include "weft/json.hpp"

namespace weft::weave {
namespace {

constexpr auto kTick = std::chrono::milliseconds(50);
constexpr size_t kMaxManifest = 16 * 1024 * 1024;
constexpr size_t kMaxErrorsShown = 20;

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

/// A pod whose address another pod already has: "Pod y/b: status.podIPs: 10.0.0.5 is also
/// Pod x/a's". Kubernetes never hands one address to two live pods.
std::vector<std::string> addressClashes(const ObjectSet& objects) {
    std::map<Address, std::string> owner;
    std::vector<std::string> out;
    for (const auto& [key, pod] : objects.pods())
        for (const auto& ip : pod.ips) {
            auto name = key.first + "/" + key.second;
            auto [it, fresh] = owner.emplace(ip, name);
            if (!fresh)
                out.push_back("Pod " + name + ": status.podIPs: " + ip.str() + " is also Pod " +
                              it->second + "'s");
        }
    return out;
}

std::string joinErrors(const std::vector<std::string>& errors) {
    std::string text;
    for (size_t i = 0; i < errors.size() && i < kMaxErrorsShown; ++i)
        text += (i ? "\n" : "") + errors[i];
    if (errors.size() > kMaxErrorsShown)
        text += "\n... and " + std::to_string(errors.size() - kMaxErrorsShown) + " more errors";
    return text;
}

std::optional<uint8_t> parseProtocol(const std::string& text) {
    std::string p;
    for (char c : text)
        p += char(std::tolower(static_cast<unsigned char>(c)));
    if (p == "tcp")
        return kTcp;
    if (p == "udp")
        return kUdp;
    if (p == "sctp")
        return kSctp;
    if (p == "icmp")
        return 1;
    if (p == "icmpv6")
        return 58;
    return std::nullopt;
}

}  // namespace

PluginInfo WeavePlugin::info() const {
    return {"weave-policy", "1.0", "org.weft.Weft1.WeavePolicy",
            "Kubernetes NetworkPolicy compiled into one nftables table"};
}

Schema WeavePlugin::schema() const {
    return weaveSchema();
}

void WeavePlugin::validate(const Config& config) const {
    Settings s = readSettings(config);
    ObjectSet files;
    for (const auto& m : s.manifests)
        files.apply(m.objects);
    if (auto clashes = addressClashes(files); !clashes.empty()) {
        std::vector<ConfigError> errors;
        for (const auto& c : clashes)
            errors.push_back(ConfigError{Location{"weave-policy.d", 0}, "", "", c});
        throw ConfigException(std::move(errors));
    }
}

Lease WeavePlugin::lease(const Config& config) const {
    Settings s = readSettings(config);
    Lease l;
    l.nftTables = {s.compile.table};
    l.markBits = s.compile.egressMark.mask;
    if (!s.bridge.empty())
        for (const auto& c : bridgeSysctls())
            l.sysctls.push_back(c.key);
    return l;
}

void WeavePlugin::configure(const Config& config) {
    settings_ = readSettings(config);
    mergeAll();
    compiler_.rebuild(objects_, settings_.compile);
    if (host_) {
        registerLog();
        cutPending_ = true;
        cutAfter_ = generation_;
    }
}

void WeavePlugin::start(Host& host) {
    host_ = &host;
    loadRuntime();
    loadClusterCache();
    mergeAll();
    compiler_.rebuild(objects_, settings_.compile);
    registerBus();
    registerLog();
    watchCluster();
    tickTimer_ = host.addTimer(kTick, [this] { tick(); });
    // Flows older than this weftd (or than a restart's window) are checked once too.
    cutPending_ = true;
    cutAfter_ = generation_;
}

void WeavePlugin::stop() {
    if (host_) {
        host_->cancelTimer(tickTimer_);
        if (subscribed_)
            host_->unsubscribeLog(logSubscription_);
        stopCluster();
    }
    subscribed_ = false;
    host_ = nullptr;
}

void WeavePlugin::registerLog() {
    if (subscribed_ && subscribedGroup_ == settings_.compile.logGroup)
        return;
    if (subscribed_)
        host_->unsubscribeLog(logSubscription_);
    subscribed_ = false;
    if (settings_.compile.logRate == 0)
        return;
    try {
        logSubscription_ =
            host_->subscribeLog(settings_.compile.logGroup,
                                [this](const LoggedPacket& p) { drops_.record(p, evaluator()); });
        subscribed_ = true;
        subscribedGroup_ = settings_.compile.logGroup;
    } catch (const std::exception& e) {
        host_->log(LogLevel::Warning, std::string("denied connections are not shown: ") + e.what());
    }
}

const Evaluator& WeavePlugin::evaluator() const {
    if (!evaluator_)
        evaluator_ = std::make_unique<Evaluator>(objects_);
    return *evaluator_;
}

// ---------------------------------------------------------------- objects
void WeavePlugin::mergeAll() {
    objects_ = ObjectSet{};
    evaluator_.reset();
    fileOf_.clear();
    for (const auto& m : settings_.manifests) {
        objects_.apply(m.objects);
        for (const auto& o : m.objects)
            fileOf_[keyOf(o)] = m.path;
    }
    // A runtime object that takes an address a file's pod has would make two owners: the
    // runtime one is left out and said so (Apply refuses such objects in the first place).
    std::vector<std::string> conflicts;
    AddressOwners owners(objects_);
    for (const auto& o : runtime_.all()) {
        if (const auto* pod = std::get_if<Pod>(&o)) {
            if (owners.clash(*pod)) {
                conflicts.push_back(keyOf(o).str() + ": an address of it belongs to another pod");
                continue;
            }
            auto old = objects_.pods().find({pod->ns, pod->name});
            owners.replace(old == objects_.pods().end() ? nullptr : &old->second, *pod);
        }
        objects_.apply({o});
    }
    // The local objects are this node's records; the store's others come after them.
    if (clustered()) {
        cluster_.publish(*host_, objects_, warner());
        cluster_.overlay(objects_, owners, conflicts);
    }
    for (const auto& c : conflicts)  // said once, not on every change
        if (host_ && std::find(conflicts_.begin(), conflicts_.end(), c) == conflicts_.end())
            host_->log(LogLevel::Warning, c);
    conflicts_ = std::move(conflicts);
}

void WeavePlugin::refresh() {
    ObjectSet before = objects_;
    mergeAll();
    auto keys = changedKeys(before, objects_);
    bool policies = std::any_of(keys.begin(), keys.end(),
                                [](const ObjectKey& k) { return k.kind == Kind::NetworkPolicy; });
    if (!keys.empty())
        changed(keys, policies);
}

std::string WeavePlugin::sourceOf(const ObjectKey& key) const {
    auto r = runtime_.all();
    bool runtime =
        std::any_of(r.begin(), r.end(), [&](const Object& o) { return keyOf(o) == key; });
    if (runtime)
        return "runtime";
    auto it = fileOf_.find(key);
    if (it != fileOf_.end())
        return it->second;
    return cluster_.has(key) ? "cluster" : "";
}

void WeavePlugin::changed(const std::vector<ObjectKey>& keys, bool policies) {
    evaluator_.reset();
    if (policies)
        compiler_.rebuild(objects_, settings_.compile);
    else
        compiler_.podsChanged(objects_, keys);
    cutPending_ = true;
    cutAfter_ = generation_;
    changedAt_ = generation_;
    if (host_) {
        host_->requestReconcile();
        host_->bus().emitPropertiesChanged({"Namespaces", "Pods", "Policies", "Synced"});
    }
}

std::vector<Change> WeavePlugin::applyManifest(const std::string& text) {
    if (text.size() > kMaxManifest)
        throw BusError("InvalidArgument", "manifest: larger than 16 MiB");
    ParsedManifest parsed = parseManifest(text, "manifest");
    std::vector<std::string> errors;
    for (const auto& e : parsed.errors)
        errors.push_back(e.str());
    if (errors.empty() && parsed.objects.empty())
        errors.push_back(parsed.ignored.empty()
                             ? "manifest: no object in it"
                             : "manifest: no Namespace, Pod or NetworkPolicy in it (ignored: " +
                                   parsed.ignored.front() +
                                   (parsed.ignored.size() > 1 ? ", ..." : "") + ")");
    ObjectSet trial = objects_;
    auto changes = trial.apply(parsed.objects);
    if (errors.empty())
        errors = addressClashes(trial);
    if (!errors.empty())
        throw BusError("InvalidArgument", joinErrors(errors));

    runtime_.apply(parsed.objects);
    saveRuntime();
    refresh();  // also writes them to the cluster store
    return changes;
}

Change WeavePlugin::deleteObject(const std::string& kindText, const std::string& ns,
                                 const std::string& name) {
    auto kind = parseKind(kindText);
    if (!kind)
        throw BusError("InvalidArgument", "kind: \"" + kindText.substr(0, 64) +
                                              "\" is not Namespace, Pod or NetworkPolicy");
    ObjectKey key{*kind, *kind == Kind::Namespace ? "" : (ns.empty() ? "default" : ns), name};
    if (!runtime_.remove(key)) {
        if (fileOf_.count(key))
            throw BusError("InvalidArgument", key.str() + " comes from " + fileOf_.at(key) +
                                                  ": remove it there and reload");
        // Another node's object: deleted cluster-wide.
        if (!clustered() || !cluster_.has(key))
            throw BusError("NotFound", key.str().substr(0, 300) + " is not known");
    }
    if (clustered())
        cluster_.erase(*host_, key);
    saveRuntime();
    refresh();  // a file's (or the store's) version is in force again, if there is one
    return {key, Change::Action::Deleted};
}

// ---------------------------------------------------------------- kernel
DesiredState WeavePlugin::desiredState() {
    ++generation_;
    DesiredState d;
    d.tables.push_back(compiler_.table());
    if (!settings_.bridge.empty())
        d.sysctls = bridgeSysctls();
    return d;
}

void WeavePlugin::tick() {
    // desiredState() ran since the change, so the kernel has the new rules: cut now.
    if (!cutPending_ || generation_ <= cutAfter_)
        return;
    cutPending_ = false;
    try {
        if (auto n = cutDeniedFlows())
            host_->log(LogLevel::Info, "cut " + std::to_string(n) + " flows the policy now denies");
    } catch (const std::exception& e) {
        host_->log(LogLevel::Warning, std::string("cutting denied flows: ") + e.what());
    }
}

uint64_t WeavePlugin::cutDeniedFlows() {
    const Evaluator& ev = evaluator();
    std::set<Address> local;
    for (const auto& link : host_->links())
        for (const auto& a : link.addresses)
            local.insert(a.address);
    bool policeHost = settings_.compile.policeHostTraffic;
    return host_->deleteFlowsIf({}, [&](const FlowTuple& f) {
        if (!policeHost && local.count(f.source))
            return false;  // the host's own: not policed
        if (!ev.podAt(f.source) && !ev.podAt(f.destination))
            return false;
        Connection c{f.source, f.destination, f.protocol, f.destinationPort};
        return !ev.evaluate(c).allowed();
    });
}

// ---------------------------------------------------------------- runtime objects
void WeavePlugin::loadRuntime() {
    auto path = host_->runtimeDirectory() / "objects.json";
    std::ifstream in(path);
    if (!in)
        return;
    std::stringstream text;
    text << in.rdbuf();
    ParsedManifest parsed = parseManifest(text.str(), path.string());
    for (const auto& e : parsed.errors)
        host_->log(LogLevel::Warning, "runtime objects: " + e.str());
    runtime_ = ObjectSet{};
    runtime_.apply(parsed.objects);
}

void WeavePlugin::saveRuntime() const {
    if (!host_)
        return;
    Json items = Json::array();
    for (const auto& o : runtime_.all())
        items.push_back(toManifest(o));
    Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}};
    auto path = host_->runtimeDirectory() / "objects.json";
    auto tmp = path;
    tmp += ".new";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << list.dump() << '\n';
        if (!out) {
            host_->log(LogLevel::Warning, "cannot write " + tmp.string());
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        host_->log(LogLevel::Warning, "cannot write " + path.string() + ": " + ec.message());
}

// ---------------------------------------------------------------- status
Address WeavePlugin::resolveEndpoint(const std::string& text, const char* argument,
                                     std::optional<Family> family) const {
    if (auto a = Address::parse(text))
        return *a;
    auto slash = text.find('/');
    std::string ns = slash == std::string::npos ? "default" : text.substr(0, slash);
    std::string name = slash == std::string::npos ? text : text.substr(slash + 1);
    auto it = objects_.pods().find({ns, name});
    if (it == objects_.pods().end())
        throw BusError("NotFound", std::string(argument) + ": \"" + text.substr(0, 200) +
                                       "\" is neither an address nor a known pod (ns/name)");
    for (const auto& ip : it->second.ips)
        if (!family || ip.family == *family)
            return ip;
    throw BusError("InvalidArgument",
                   std::string(argument) + ": Pod " + ns + "/" + name +
                       (it->second.ips.empty() ? " has no address"
                                               : " has no address of the other end's family"));
}

std::map<std::string, std::string> WeavePlugin::explainConnection(
    const std::string& source, const std::string& destination, uint32_t port,
    const std::string& protocol) const {
    auto proto = parseProtocol(protocol);
    if (!proto)
        throw BusError("InvalidArgument", "protocol: \"" + protocol.substr(0, 32) +
                                              "\" is not tcp, udp, sctp, icmp or icmpv6");
    if (port > 65535)
        throw BusError("InvalidArgument", "port: " + std::to_string(port) + " > 65535");
    // Names resolve to the family of an address given on the other side, else IPv4 first.
    std::optional<Family> family;
    if (auto a = Address::parse(source))
        family = a->family;
    if (auto a = Address::parse(destination))
        family = a->family;
    if (!family) {
        family = Family::V4;
        try {
            resolveEndpoint(source, "source", Family::V4);
            resolveEndpoint(destination, "destination", Family::V4);
        } catch (const BusError&) {
            family = Family::V6;
        }
    }
    Connection c{resolveEndpoint(source, "source", family),
                 resolveEndpoint(destination, "destination", family), *proto, uint16_t(port)};
    const Evaluator& ev = evaluator();
    PolicyVerdict v = ev.evaluate(c);
    auto side = [](const SideVerdict& s) {
        std::string out;
        if (!s.pod)
            return std::string("not a pod");
        if (s.isolatedBy.empty())
            return std::string("not isolated");
        for (const auto& r : s.allowedBy)
            out += (out.empty() ? "" : ", ") + r.policy.ns + "/" + r.policy.name + " rule " +
                   std::to_string(r.rule);
        return out.empty() ? "isolated, no rule admits it" : "admitted by " + out;
    };
    auto policies = [](const SideVerdict& s) {
        std::string out;
        for (const auto& p : s.isolatedBy)
            out += (out.empty() ? "" : ",") + p.ns + "/" + p.name;
        return out;
    };
    return {{"verdict", v.allowed() ? "allowed" : "denied"},
            {"explanation", explain(ev, c, v)},
            {"source", c.source.str()},
            {"sourcePod", v.egress.pod ? v.egress.pod->ns + "/" + v.egress.pod->name : ""},
            {"destination", c.destination.str()},
            {"destinationPod", v.ingress.pod ? v.ingress.pod->ns + "/" + v.ingress.pod->name : ""},
            {"protocol", protocolName(*proto)},
            {"port", std::to_string(port)},
            {"egress", side(v.egress)},
            {"egressPolicies", policies(v.egress)},
            {"ingress", side(v.ingress)},
            {"ingressPolicies", policies(v.ingress)}};
}

std::vector<std::map<std::string, std::string>> WeavePlugin::listObjects() const {
    std::vector<std::map<std::string, std::string>> rows;
    auto labels = [](const Labels& l) {
        std::string out;
        for (const auto& [k, v] : l)
            out += (out.empty() ? "" : ",") + k + "=" + v;
        return out;
    };
    for (const auto& o : objects_.all()) {
        auto key = keyOf(o);
        std::string source = sourceOf(key);
        std::map<std::string, std::string> r{{"kind", kindName(key.kind)},
                                             {"namespace", key.ns},
                                             {"name", key.name},
                                             {"source", source},
                                             {"origin", source == "cluster" ? "cluster" : "local"}};
        if (auto* ns = std::get_if<Namespace>(&o))
            r["labels"] = labels(ns->labels);
        if (auto* pod = std::get_if<Pod>(&o)) {
            r["labels"] = labels(pod->labels);
            std::string ips;
            for (const auto& ip : pod->ips)
                ips += (ips.empty() ? "" : ",") + ip.str();
            r["addresses"] = ips;
        }
        if (auto* p = std::get_if<NetworkPolicy>(&o)) {
            std::string types = p->ingress ? "Ingress" : "";
            if (p->egress)
                types += types.empty() ? "Egress" : ",Egress";
            r["policyTypes"] = types;
            Selection target{p->ns, std::nullopt, p->podSelector};
            size_t selected = 0;
            for (auto it = objects_.pods().lower_bound({p->ns, ""});
                 it != objects_.pods().end() && it->first.first == p->ns; ++it)
                selected += selects(target, objects_, it->second);
            r["selectedPods"] = std::to_string(selected);
            r["ingressRules"] = std::to_string(p->ingressRules.size());
            r["egressRules"] = std::to_string(p->egressRules.size());
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

std::string WeavePlugin::describe() const {
    Json files = Json::array();
    for (const auto& m : settings_.manifests)
        files.push_back(m.path);
    Json j = {{"bridge", settings_.bridge},
              {"podInterfaces", settings_.podInterfaces},
              {"interfaces", settings_.compile.interfaces},
              {"table", settings_.compile.table},
              {"egressMark", hex(settings_.compile.egressMark.value) + "/" +
                                 hex(settings_.compile.egressMark.mask)},
              {"logGroup", settings_.compile.logGroup},
              {"logRate", settings_.compile.logRate},
              {"allowHostTraffic", !settings_.compile.policeHostTraffic},
              {"manifests", files},
              {"namespaces", objects_.namespaces().size()},
              {"pods", objects_.pods().size()},
              {"policies", objects_.policies().size()},
              {"selections", compiler_.selectionCount()},
              {"conflicts", conflicts_},
              {"deniedLogged", drops_.total()}};
    if (clustered())
        j["cluster"] = {{"state", clusterStateName(host_->clusterState())},
                        {"storeObjects", cluster_.size()}};
    return jsonText(j);
}

}  // namespace weft::weave
