// weftctl policy: weave-policy's objects, verdicts and denied connections, kubectl-like
// (dbus/org.weft.Weft1.WeavePolicy.xml).
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "commands.hpp"
#include "output.hpp"
#include "weft/json.hpp"

namespace weftctl {
namespace {

using weft::Json;

constexpr const char* kPlugin = "weave-policy";
constexpr const char* kInterface = "org.weft.Weft1.WeavePolicy";
constexpr uint32_t kDefaultDrops = 20;

void printJson(const Json& j) {
    std::printf("%s\n", weft::jsonText(j, 2).c_str());
}

Json toJson(const Record& r) {
    Json j = Json::object();
    for (const auto& [k, v] : r)
        j[k] = v;
    return j;
}

Json toJson(const std::vector<Record>& rows) {
    Json j = Json::array();
    for (const auto& r : rows)
        j.push_back(toJson(r));
    return j;
}

std::string get(const Record& r, const char* key) {
    auto it = r.find(key);
    return it == r.end() ? std::string() : it->second;
}

std::string orDash(const std::string& s) {
    return s.empty() ? "-" : s;
}

std::string lower(std::string s) {
    for (auto& c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// A bad command line: said on stderr, exit code 1.
int usageError(const std::string& message) {
    std::fprintf(stderr, "weftctl: policy: %s (see weftctl --help)\n", message.c_str());
    return 1;
}

/// "NetworkPolicy x/deny" -> "networkpolicy x/deny", as kubectl names kinds in its output.
std::string objectName(const std::string& object) {
    auto space = object.find(' ');
    return space == std::string::npos ? object
                                      : lower(object.substr(0, space)) + object.substr(space);
}

std::string readManifest(const std::string& path) {
    std::stringstream text;
    if (path == "-") {
        text << std::cin.rdbuf();
        if (std::cin.bad())
            throw CliError("cannot read the manifest from stdin");
        return text.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw CliError("cannot read " + path + ": " + std::strerror(errno));
    text << in.rdbuf();
    return text.str();
}

int apply(BusClient& bus, const Options& o) {
    std::string file;
    bool given = false;
    for (size_t i = 1; i < o.args.size(); ++i) {
        const std::string& a = o.args[i];
        if ((a == "-f" || a == "--filename") && i + 1 < o.args.size()) {
            file = o.args[++i];
        } else if (a.rfind("--filename=", 0) == 0) {
            file = a.substr(11);
        } else {
            return usageError("apply: unexpected '" + a + "'; usage: policy apply -f FILE|-");
        }
        if (given)
            return usageError("apply: give one -f FILE (or - for stdin)");
        given = true;
    }
    if (!given || file.empty())
        return usageError("apply: usage: policy apply -f FILE|-");
    auto changes = bus.callRecords(kPlugin, kInterface, "Apply", {readManifest(file)});
    if (o.json) {
        printJson(toJson(changes));
        return 0;
    }
    for (const auto& c : changes)
        std::printf("%s %s\n", objectName(get(c, "object")).c_str(), get(c, "action").c_str());
    return 0;
}

int deleteCommand(BusClient& bus, const Options& o) {
    if (o.args.size() != 3)
        return usageError("delete: usage: policy delete KIND NAMESPACE/NAME (a namespace: NAME)");
    const std::string& kind = o.args[1];
    const std::string& target = o.args[2];
    std::string k = lower(kind);
    bool isNamespace = k == "namespace" || k == "namespaces" || k == "ns";
    std::string ns, name = target;
    if (auto slash = target.find('/'); !isNamespace && slash != std::string::npos) {
        ns = target.substr(0, slash);  // empty: the plugin takes "default", as kubectl
        name = target.substr(slash + 1);
    }
    auto object = bus.callString(kPlugin, kInterface, "Delete", {kind, ns, name});
    if (o.json) {
        printJson(toJson(Record{{"object", object}, {"action", "deleted"}}));
        return 0;
    }
    std::printf("%s deleted\n", objectName(object).c_str());
    return 0;
}

// What a row says beyond its name: a pod's addresses and labels, a namespace's labels, a
// policy's types and how many pods it selects.
std::string detail(const Record& r) {
    std::string kind = get(r, "kind");
    std::string labels = get(r, "labels");
    labels = labels.empty() ? "" : "{" + labels + "}";
    if (kind == "Pod") {
        std::string ips = orDash(get(r, "addresses"));
        return labels.empty() ? ips : ips + " " + labels;
    }
    if (kind == "NetworkPolicy") {
        std::string n = get(r, "selectedPods");
        return orDash(get(r, "policyTypes")) + ", selects " + n + (n == "1" ? " pod" : " pods");
    }
    return labels;
}

int list(BusClient& bus, const Options& o) {
    if (o.args.size() != 1)
        return usageError("list: takes no arguments");
    auto rows = bus.callRecords(kPlugin, kInterface, "List", {});
    if (o.json) {
        printJson(toJson(rows));
        return 0;
    }
    std::vector<std::vector<std::string>> table{{"KIND", "NAMESPACE", "NAME", "SOURCE", "DETAIL"}};
    for (const auto& r : rows)
        table.push_back({get(r, "kind"), orDash(get(r, "namespace")), get(r, "name"),
                         orDash(get(r, "source")), detail(r)});
    printTable(table);
    return 0;
}

/// "80", "80/udp", or a protocol alone ("icmp", port 0); false when it is none of them.
bool parsePort(const std::string& text, uint32_t& port, std::string& protocol) {
    auto slash = text.find('/');
    std::string number = text.substr(0, slash);
    protocol = slash == std::string::npos ? "tcp" : text.substr(slash + 1);
    if (slash == std::string::npos && !number.empty() && !std::isdigit((unsigned char)number[0])) {
        protocol = number;  // "icmp"
        number = "0";
    }
    if (number.empty() || number.size() > 5 || protocol.empty() ||
        number.find_first_not_of("0123456789") != std::string::npos)
        return false;
    port = uint32_t(std::stoul(number));
    return port <= 65535;
}

std::string colourVerdict(const std::string& verdict) {
    if (!useColour())
        return verdict;
    return (verdict == "allowed" ? "\033[1;32m" : "\033[1;31m") + verdict + "\033[0m";
}

// "x/a (10.244.1.2)" for a pod's address, the address alone otherwise.
std::string endpoint(const Record& v, const char* address, const char* pod) {
    return get(v, pod).empty() ? get(v, address) : get(v, pod) + " (" + get(v, address) + ")";
}

std::string side(const Record& v, const char* how, const char* policies) {
    std::string p = get(v, policies);
    return get(v, how) + (p.empty() ? "" : " [isolated by " + p + "]");
}

void printVerdict(const Record& v) {
    std::string verdict = get(v, "verdict"), protocol = get(v, "protocol");
    if (protocol.rfind("ICMP", 0) != 0)  // ICMP has no port
        protocol += "/" + get(v, "port");
    std::printf("%s: %s -> %s %s\n", colourVerdict(verdict).c_str(),
                endpoint(v, "source", "sourcePod").c_str(),
                endpoint(v, "destination", "destinationPod").c_str(), protocol.c_str());
    // The first line said the verdict already.
    std::string why = get(v, "explanation");
    if (why.rfind(verdict + ": ", 0) == 0)
        why = why.substr(verdict.size() + 2);
    std::printf("  %s\n", why.c_str());
    std::printf("  egress:  %s\n", side(v, "egress", "egressPolicies").c_str());
    std::printf("  ingress: %s\n", side(v, "ingress", "ingressPolicies").c_str());
}

int explainCommand(BusClient& bus, const Options& o) {
    uint32_t port = 0;
    std::string protocol;
    if (o.args.size() != 4)
        return usageError("explain: usage: policy explain SRC DST PORT[/PROTO]");
    if (!parsePort(o.args[3], port, protocol))
        return usageError("explain: '" + o.args[3] + "' is not PORT[/PROTO] (e.g. 80/tcp)");
    auto v = bus.callRecord(kPlugin, kInterface, "Explain", {o.args[1], o.args[2], port, protocol});
    if (o.json)
        printJson(toJson(v));
    else
        printVerdict(v);
    return 0;
}

int drops(BusClient& bus, const Options& o) {
    uint32_t limit = kDefaultDrops;
    if (o.args.size() > 2)
        return usageError("drops: usage: policy drops [N]");
    if (o.args.size() == 2) {
        const std::string& n = o.args[1];
        if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(n) == 0)
            return usageError("drops: '" + n + "' is not a positive number");
        limit = uint32_t(std::stoul(n));
    }
    auto rows = bus.callRecords(kPlugin, kInterface, "Drops", {limit});
    if (o.json) {
        printJson(toJson(rows));
        return 0;
    }
    if (rows.empty()) {
        std::printf("no denied connection logged\n");
        return 0;
    }
    auto who = [](const Record& r, const char* address, const char* pod) {
        return get(r, pod).empty() ? get(r, address) : get(r, pod);
    };
    std::vector<std::vector<std::string>> table{
        {"TIME", "DIR", "SOURCE", "DESTINATION", "PROTO", "PORT"}};
    for (const auto& r : rows)
        table.push_back({get(r, "time"), get(r, "direction"), who(r, "source", "sourcePod"),
                         who(r, "destination", "destinationPod"), get(r, "protocol"),
                         orDash(get(r, "port"))});
    printTable(table);
    return 0;
}

int status(BusClient& bus, const Options& o) {
    if (!o.args.empty())
        return usageError("unknown subcommand '" + o.args[0] +
                          "' (apply, delete, list, explain, drops)");
    std::string state = bus.pluginProperty(kPlugin, "State");
    auto count = [&](const char* p) { return bus.pluginCounter(kPlugin, kInterface, p); };
    Json j = Json::object();
    try {
        j = {{"state", state},
             {"namespaces", count("Namespaces")},
             {"pods", count("Pods")},
             {"policies", count("Policies")},
             {"deniedIngress", count("DeniedIngress")},
             {"deniedEgress", count("DeniedEgress")}};
    } catch (const sdbus::Error&) {
        // Not started: its interface is not there; say why instead.
        if (state == "running")
            throw;
        std::string error = bus.pluginProperty(kPlugin, "LastError");
        std::fprintf(stderr, "weftctl: %s is %s%s\n", kPlugin, state.c_str(),
                     error.empty() ? "" : (": " + error).c_str());
        return 1;
    }
    if (o.json) {
        printJson(j);
        return 0;
    }
    std::printf("%s: %s\n", kPlugin, colourState(state).c_str());
    auto n = [&j](const char* key, const char* one, const char* many) {
        auto v = j[key].get<uint64_t>();
        return std::to_string(v) + " " + (v == 1 ? one : many);
    };
    std::printf("in force: %s, %s, %s\n", n("namespaces", "namespace", "namespaces").c_str(),
                n("pods", "pod", "pods").c_str(),
                n("policies", "network policy", "network policies").c_str());
    std::printf("denied: %s by ingress policy, %s by egress policy\n",
                n("deniedIngress", "packet", "packets").c_str(),
                n("deniedEgress", "packet", "packets").c_str());
    return 0;
}

}  // namespace

int cmdPolicy(BusClient& bus, const Options& o) {
    std::string sub = o.args.empty() ? "" : o.args[0];
    if (sub == "apply")
        return apply(bus, o);
    if (sub == "delete")
        return deleteCommand(bus, o);
    if (sub == "list")
        return list(bus, o);
    if (sub == "explain")
        return explainCommand(bus, o);
    if (sub == "drops")
        return drops(bus, o);
    return status(bus, o);
}

}  // namespace weftctl
