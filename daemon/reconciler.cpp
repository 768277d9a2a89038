#include "reconciler.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "kernel/rtnl/sysctl.hpp"
#include "log.hpp"

namespace weft {
namespace {

void take(const kernel::ApplyResult& r, const std::string& what, std::vector<std::string>& errors,
          unsigned& changes) {
    changes += r.changes;
    if (r.changes)
        logMessage(LogLevel::Debug, {}, what + ": " + std::to_string(r.changes) + " change(s)");
    for (auto& e : r.errors)
        errors.push_back(what + ": " + e);
}

Json rangesJson(const std::vector<std::pair<uint32_t, uint32_t>>& v) {
    Json a = Json::array();
    for (auto& [lo, hi] : v)
        a.push_back(Json::array({lo, hi}));
    return a;
}

std::vector<std::string> stringsFrom(const Json& rec, const char* key) {
    std::vector<std::string> v;
    if (rec.contains(key) && rec[key].is_array()) {
        for (auto& s : rec[key])
            v.push_back(s.get<std::string>());
    }
    return v;
}

void addMissing(std::vector<std::string>& to, const std::vector<std::string>& from) {
    for (auto& s : from) {
        if (std::find(to.begin(), to.end(), s) == to.end())
            to.push_back(s);
    }
}

std::vector<RoutingRule> rulesIn(const std::vector<RoutingRule>& rules,
                                 std::pair<uint32_t, uint32_t> range) {
    std::vector<RoutingRule> in;
    for (auto& r : rules) {
        if (r.priority >= range.first && r.priority <= range.second)
            in.push_back(r);
    }
    return in;
}

std::vector<std::pair<uint32_t, uint32_t>> rangesFrom(const Json& rec, const char* key) {
    std::vector<std::pair<uint32_t, uint32_t>> v;
    if (!rec.contains(key) || !rec[key].is_array())
        return v;
    for (auto& r : rec[key])
        v.emplace_back(r.at(0).get<uint32_t>(), r.at(1).get<uint32_t>());
    return v;
}

}  // namespace

Reconciler::Reconciler(KernelEngines& engines, std::filesystem::path recordFile)
    : k_(engines), recordFile_(std::move(recordFile)) {
    load();
}

void Reconciler::load() {
    std::ifstream in(recordFile_);
    if (!in)
        return;
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        const Json j = Json::parse(ss.str());
        if (!j.is_object())
            throw std::runtime_error("not a JSON object");
        for (auto& [name, r] : j.items()) {
            Record rec;
            rec.tables = rangesFrom(r, "tables");
            rec.priorities = rangesFrom(r, "priorities");  // older weftd: at most one range
            rec.links = stringsFrom(r, "links");
            rec.nftTables = stringsFrom(r, "nftTables");
            records_[name] = rec;
        }
    } catch (const std::exception& e) {
        logMessage(LogLevel::Warning, {},
                   "ignoring unreadable " + recordFile_.string() + ": " + e.what());
    }
}

void Reconciler::save() const {
    Json j = Json::object();
    for (auto& [name, r] : records_) {
        Json rec = Json::object();
        rec["tables"] = rangesJson(r.tables);
        rec["priorities"] = rangesJson(r.priorities);
        Json links = Json::array();
        for (auto& l : r.links)
            links.push_back(l);
        rec["links"] = links;
        Json tables = Json::array();
        for (auto& t : r.nftTables)
            tables.push_back(t);
        rec["nftTables"] = tables;
        j[name] = rec;
    }
    std::filesystem::create_directories(recordFile_.parent_path());
    auto tmp = recordFile_;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << jsonText(j, 2) << "\n";
    }
    std::filesystem::rename(tmp, recordFile_);
}

void Reconciler::applyLinks(const std::string& plugin, const DesiredState& state, const Record& old,
                            std::vector<std::string>& errors, unsigned& changes) {
    for (auto& w : state.wireguard) {
        auto r = k_.wireguard->apply(w);
        take(r, "wireguard link " + w.name, errors, changes);
        if (!r.ok())
            continue;
        take(k_.links->configure(w.name, w.mtu, w.addresses), "link " + w.name, errors, changes);
    }
    for (auto& name : old.links) {
        bool still = std::any_of(state.wireguard.begin(), state.wireguard.end(),
                                 [&](auto& w) { return w.name == name; });
        if (!still) {
            logMessage(LogLevel::Info, plugin, "removing link " + name);
            take(k_.wireguard->remove(name), "remove link " + name, errors, changes);
        }
    }
}

void Reconciler::applyRouting(const Lease& lease, const DesiredState& state, const Record& old,
                              std::vector<std::string>& errors, unsigned& changes) {
    // Old and new tables together, so routes left in a table the plugin gave up are removed.
    auto tables = lease.routingTables;
    tables.insert(tables.end(), old.tables.begin(), old.tables.end());
    if (!tables.empty())
        take(k_.routes->applyRoutes(state.routes, tables), "routes", errors, changes);
    // The engine converges one priority range at a time: each range gets the desired rules
    // that lie in it (leaseViolations() refused a state with rules outside every range).
    for (auto& range : lease.rulePriorities)
        take(k_.routes->applyRules(rulesIn(state.rules, range), range), "rules", errors, changes);
    // New rules are in place before an old range is emptied: add-before-delete. An old range
    // overlapping a new one keeps the desired rules inside it.
    for (auto& range : old.priorities) {
        if (std::find(lease.rulePriorities.begin(), lease.rulePriorities.end(), range) ==
            lease.rulePriorities.end()) {
            take(k_.routes->applyRules(rulesIn(state.rules, range), range), "rules", errors,
                 changes);
        }
    }
}

std::vector<std::string> Reconciler::apply(const std::string& plugin, const Lease& lease,
                                           const DesiredState& state, unsigned& changes) {
    std::vector<std::string> errors;
    Record old = records_.count(plugin) ? records_[plugin] : Record{};
    // Record first: if weftd dies half-way, the next one still knows what this plugin may own.
    Record now{lease.routingTables, lease.rulePriorities, {}, lease.nftTables};
    for (auto& w : state.wireguard)
        now.links.push_back(w.name);
    addMissing(now.links, old.links);
    addMissing(now.nftTables, old.nftTables);
    records_[plugin] = now;
    save();

    watched_[plugin] = {state.sysctls, state.wireguard};
    take(kernel::applySysctls(state.sysctls), "sysctls", errors, changes);
    applyLinks(plugin, state, old, errors, changes);
    auto nft = k_.nft->apply(plugin, state.tables, now.nftTables);
    take(nft, "nftables", errors, changes);
    applyRouting(lease, state, old, errors, changes);

    // Settle the record to exactly what is owned now (tables given up stay recorded until
    // they are gone).
    now.links.clear();
    for (auto& w : state.wireguard)
        now.links.push_back(w.name);
    if (nft.ok())
        now.nftTables = lease.nftTables;
    records_[plugin] = now;
    save();
    return errors;
}

std::vector<std::string> Reconciler::remove(const std::string& plugin) {
    std::vector<std::string> errors;
    unsigned changes = 0;
    auto it = records_.find(plugin);
    Record old = it != records_.end() ? it->second : Record{};
    for (auto& range : old.priorities)
        take(k_.routes->applyRules({}, range), "rules", errors, changes);
    if (!old.tables.empty())
        take(k_.routes->applyRoutes({}, old.tables), "routes", errors, changes);
    take(k_.nft->removeOwner(plugin, old.nftTables), "nftables", errors, changes);
    for (auto& l : old.links)
        take(k_.wireguard->remove(l), "link " + l, errors, changes);
    watched_.erase(plugin);
    reported_.erase(plugin);
    if (errors.empty()) {
        records_.erase(plugin);
        save();
    }
    return errors;
}

std::vector<std::string> Reconciler::flushAll() {
    // Only what the record says: routes in a recorded plugin's tables, rules in its priority
    // range, its nftables tables and links. weft's protocol number or a "weft:<plugin>" comment
    // on anything else proves nothing (another tool may use either) and is never swept.
    std::vector<std::string> errors;
    for (auto& name : recordedPlugins()) {
        auto e = remove(name);
        errors.insert(errors.end(), e.begin(), e.end());
    }
    return errors;
}

std::vector<std::string> Reconciler::drift() {
    using namespace std::chrono_literals;
    std::vector<std::string> lines;
    auto now = std::chrono::steady_clock::now();
    for (auto& [plugin, w] : watched_) {
        std::vector<std::string> found = kernel::sysctlDrift(w.sysctls);
        for (auto& link : w.wireguard) {
            if (auto d = k_.wireguard->drift(link))
                found.push_back("wireguard link " + link.name + ": " + *d);
        }
        if (found.empty()) {
            reported_.erase(plugin);
            continue;
        }
        std::string what;
        for (auto& f : found)
            what += f + "\n";
        auto& r = reported_[plugin];
        if (r.what == what && now < r.next)
            continue;  // reported already and the apply did not repair it: back off
        r.backoff = r.what == what ? std::min(r.backoff * 2, std::chrono::seconds(64s)) : 1s;
        r.what = what;
        r.next = now + r.backoff;
        for (auto& f : found)
            lines.push_back(plugin + ": " + f);
    }
    return lines;
}

std::vector<std::string> Reconciler::recordedPlugins() const {
    std::vector<std::string> names;
    for (auto& [n, r] : records_)
        names.push_back(n);
    return names;
}

Json Reconciler::kernelFacts(const std::string& plugin) {
    Json counters = Json::array();
    for (auto& c : k_.nft->counters(plugin)) {
        Json e = Json::object();
        e["table"] = c.table;
        e["chain"] = c.chain;
        e["comment"] = c.comment;
        e["packets"] = c.packets;
        e["bytes"] = c.bytes;
        counters.push_back(e);
    }
    Json facts = Json::object();
    facts["counters"] = counters;
    return facts;
}

}  // namespace weft
