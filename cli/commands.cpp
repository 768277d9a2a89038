#include "commands.hpp"

#include <cstdio>
#include <ctime>

#include "output.hpp"
#include "weft/json.hpp"

namespace weftctl {

using weft::Json;

static void printJson(const Json& j) {
    std::printf("%s\n", weft::jsonText(j, 2).c_str());
}

// Member `key` of `j` as text: a string as is, another value as JSON, "" when absent
// (a plugin of another version may lack it).
static std::string str(const Json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return "";
    if (it->is_string())
        return it->get<std::string>();
    return weft::jsonText(*it);
}

static std::string str(const Json& j) {
    return j.is_string() ? j.get<std::string>() : weft::jsonText(j);
}

// Member `key` of `j` when it is an array, else an empty one.
static const Json& arrayIn(const Json& j, const char* key) {
    static const Json empty = Json::array();
    auto it = j.find(key);
    return it != j.end() && it->is_array() ? *it : empty;
}

int cmdStatus(BusClient& bus, const Options& o) {
    auto plugins = bus.plugins();
    std::vector<std::string> errors;
    for (auto& p : plugins)
        errors.push_back(bus.pluginProperty(p.name, "LastError"));
    if (o.json) {
        Json j = Json::object();
        j["version"] = bus.version();
        j["state"] = bus.state();
        Json list = Json::array();
        for (size_t i = 0; i < plugins.size(); ++i) {
            Json p = Json::object();
            p["name"] = plugins[i].name;
            p["state"] = plugins[i].state;
            p["lastError"] = errors[i];
            p["objectPath"] = plugins[i].path;
            list.push_back(p);
        }
        j["plugins"] = list;
        printJson(j);
        return 0;
    }
    std::printf("weftd %s: %s\n", bus.version().c_str(), colourState(bus.state()).c_str());
    std::vector<std::vector<std::string>> rows{{"PLUGIN", "STATE", "ERROR"}};
    for (size_t i = 0; i < plugins.size(); ++i) {
        std::string err = errors[i];
        if (auto nl = err.find('\n'); nl != std::string::npos)
            err = err.substr(0, nl) + " ...";
        rows.push_back({plugins[i].name, colourState(plugins[i].state), err});
    }
    printTable(rows);
    return 0;
}

int cmdPlugins(BusClient& bus, const Options& o) {
    auto plugins = bus.plugins();
    if (o.json) {
        Json list = Json::array();
        for (auto& p : plugins) {
            Json e = Json::object();
            e["name"] = p.name;
            e["state"] = p.state;
            e["objectPath"] = p.path;
            list.push_back(e);
        }
        printJson(list);
        return 0;
    }
    std::vector<std::vector<std::string>> rows{{"PLUGIN", "STATE", "OBJECT"}};
    for (auto& p : plugins)
        rows.push_back({p.name, colourState(p.state), p.path});
    printTable(rows);
    return 0;
}

int cmdDescribe(BusClient& bus, const Options& o) {
    std::string text = o.args.empty() ? bus.describe() : bus.describePlugin(o.args[0]);
    printJson(Json::parse(text));  // always JSON, like networkctl --json
    return 0;
}

int cmdReload(BusClient& bus, const Options&) {
    bus.reload();
    std::printf("configuration reloaded\n");
    return 0;
}

int cmdFlush(BusClient& bus, const Options&) {
    bus.flush();
    std::printf("removed every kernel object weft owns; 'weftctl reload' re-applies\n");
    return 0;
}

static std::string age(const std::string& unixSeconds) {
    long long t = unixSeconds.empty() ? 0 : std::stoll(unixSeconds);
    if (t == 0)
        return "never";
    long long d = (long long)std::time(nullptr) - t;
    return std::to_string(d < 0 ? 0 : d) + "s ago";
}

int cmdMesh(BusClient& bus, const Options& o) {
    auto peers = bus.meshPeers();
    std::string key = bus.meshPublicKey();
    if (o.json) {
        Json j = Json::object();
        j["publicKey"] = key;
        Json list = Json::array();
        for (auto& p : peers) {
            Json e = Json::object();
            for (auto& [k, v] : p)
                e[k] = v;
            list.push_back(e);
        }
        j["peers"] = list;
        printJson(j);
        return 0;
    }
    std::printf("public key: %s\n", key.c_str());
    std::vector<std::vector<std::string>> rows{
        {"PEER", "STATE", "ENDPOINT", "HANDSHAKE", "RX", "TX", "SOURCE"}};
    auto get = [](const std::map<std::string, std::string>& m, const char* k) {
        auto it = m.find(k);
        return it == m.end() ? std::string() : it->second;
    };
    for (auto& p : peers) {
        auto num = [&](const char* k) {
            auto v = get(p, k);
            return v.empty() ? std::string("-") : humanBytes(std::stoull(v));
        };
        rows.push_back({get(p, "name"), colourState(get(p, "state")), get(p, "endpoint"),
                        age(get(p, "lastHandshake")), num("rxBytes"), num("txBytes"),
                        get(p, "source")});
    }
    printTable(rows);
    return 0;
}

// Counters the core read from the plugin's nftables rules, keyed by rule comment.
static std::map<std::string, std::pair<uint64_t, uint64_t>> counters(const Json& d) {
    std::map<std::string, std::pair<uint64_t, uint64_t>> out;
    if (!d.contains("kernel"))
        return out;
    for (auto& c : arrayIn(d["kernel"], "counters")) {
        auto& slot = out[str(c, "comment")];
        slot.first += c.at("packets").get<uint64_t>();
        slot.second += c.at("bytes").get<uint64_t>();
    }
    return out;
}

int cmdRoutes(BusClient& bus, const Options& o) {
    Json d = Json::parse(bus.describePlugin("fwmark-routing"));
    if (o.json) {
        printJson(d);
        return 0;
    }
    auto ctr = counters(d);
    for (auto& p : arrayIn(d["status"], "policies")) {
        std::printf("%s: interface %s, table %s, mark %s, priority %s\n", str(p, "name").c_str(),
                    str(p, "interface").c_str(), str(p, "table").c_str(), str(p, "mark").c_str(),
                    str(p, "priority").c_str());
        std::printf("  destinations: %s IPv4 + %s IPv6 prefixes%s\n",
                    str(p, "destinations4").c_str(), str(p, "destinations6").c_str(),
                    p.contains("sources4") ? (", scoped to " + str(p, "sources4") + " IPv4 + " +
                                              str(p, "sources6") + " IPv6 source prefixes")
                                                 .c_str()
                                           : "");
        for (auto& r : arrayIn(p, "rules"))
            std::printf("  rule: %s\n", str(r).c_str());
        for (auto& r : arrayIn(p, "routes"))
            std::printf("  route: %s\n", str(r).c_str());
    }
    std::vector<std::vector<std::string>> rows{{"NFT RULE", "PACKETS", "BYTES"}};
    for (auto& [comment, pb] : ctr) {
        rows.push_back({comment, std::to_string(pb.first), humanBytes(pb.second)});
    }
    if (rows.size() > 1)
        printTable(rows);
    return 0;
}

// A byte counter for a table cell: "-" when absent or not a number.
static std::string bytesCell(const std::string& v) {
    try {
        return v.empty() ? "-" : humanBytes(std::stoull(v));
    } catch (const std::exception&) {
        return "-";
    }
}

int cmdEgress(BusClient& bus, const Options& o) {
    Json d = Json::parse(bus.describePlugin("vpn-egress"));
    if (o.json) {
        printJson(d);
        return 0;
    }
    auto status = d.find("status");
    if (status == d.end() || !status->is_object()) {
        // Not started (or failed): its Describe has no status, say why.
        std::fprintf(stderr, "weftctl: vpn-egress is %s%s\n", str(d, "state").c_str(),
                     str(d, "lastError").empty() ? "" : (": " + str(d, "lastError")).c_str());
        return 1;
    }
    const Json& s = *status;
    if (str(d, "state") != "running") {
        std::printf("vpn-egress is %s%s\n\n", colourState(str(d, "state")).c_str(),
                    str(d, "lastError").empty() ? "" : (": " + str(d, "lastError")).c_str());
    }
    std::vector<std::vector<std::string>> rows{
        {"NAME", "INTERFACE", "STATE", "WEIGHT", "BUCKETS", "FLOWS", "RX", "TX", "HISTORY"}};
    for (auto& g : arrayIn(s, "gateways")) {
        // rx/tx are only counted for the tunnels weft creates.
        bool counted = str(g, "managed") != "no";
        rows.push_back({str(g, "name"), str(g, "interface"), colourState(str(g, "state")),
                        str(g, "weight"), str(g, "buckets"), str(g, "flows"),
                        counted ? bytesCell(str(g, "rx")) : "-",
                        counted ? bytesCell(str(g, "tx")) : "-", str(g, "history")});
    }
    printTable(rows);
    std::string mark = str(s, "mark");  // "0x0/MASK": the bits the gateways' marks use
    if (auto slash = mark.find('/'); slash != std::string::npos)
        mark = mark.substr(slash + 1);
    std::printf("\n%s buckets, hash seed %s, mark mask %s, kill switch %s",
                str(s, "buckets").c_str(), str(s, "hashSeed").c_str(), mark.c_str(),
                str(s, "killSwitch") == "true" ? "on" : "off");
    if (s.contains("killSwitchRejected"))
        std::printf(" (%s packets rejected)", str(s, "killSwitchRejected").c_str());
    std::printf("\n");
    for (auto& g : arrayIn(s, "gateways")) {
        if (!str(g, "lastError").empty() && str(g, "state") != "up")
            std::printf("%s: %s\n", str(g, "name").c_str(), str(g, "lastError").c_str());
    }
    std::vector<std::vector<std::string>> forwards{{"FORWARD", "GATEWAY", "PROTO", "PORT", "TO"}};
    for (auto& f : arrayIn(s, "portForwards")) {
        forwards.push_back(
            {str(f, "name"), str(f, "gateway"), str(f, "protocol"), str(f, "port"), str(f, "to")});
    }
    if (forwards.size() > 1) {
        std::printf("\n");
        printTable(forwards);
    }
    return 0;
}

int cmdExemptions(BusClient& bus, const Options& o) {
    Json d = Json::parse(bus.describePlugin("exemption-rules"));
    if (o.json) {
        printJson(d);
        return 0;
    }
    for (auto& e : arrayIn(d["status"], "exemptions")) {
        std::printf("%s: %s ports %s, local ports %s, table %s, priority %s\n",
                    str(e, "name").c_str(), str(e, "protocol").c_str(), str(e, "ports").c_str(),
                    str(e, "localPorts").c_str(), str(e, "table").c_str(),
                    str(e, "priority").c_str());
        for (auto& r : arrayIn(e, "rules"))
            std::printf("  %s\n", str(r).c_str());
    }
    return 0;
}

}  // namespace weftctl
