// weftctl cluster: the cluster store as weftd sees it (Manager.DescribeCluster).
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output.hpp"
#include "weft/json.hpp"

namespace weftctl {
namespace {

using weft::Json;

std::string text(const Json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string orDash(const std::string& s) {
    return s.empty() ? "-" : s;
}

std::string since(int64_t unixSeconds) {
    if (unixSeconds <= 0)
        return "-";
    long long d = (long long)std::time(nullptr) - unixSeconds;
    if (d < 0)
        d = 0;
    if (d < 120)
        return std::to_string(d) + "s ago";
    if (d < 7200)
        return std::to_string(d / 60) + "min ago";
    if (d < 172800)
        return std::to_string(d / 3600) + "h ago";
    return std::to_string(d / 86400) + "d ago";
}

}  // namespace

int cmdCluster(BusClient& bus, const Options& o) {
    if (!o.args.empty()) {
        std::fprintf(stderr, "weftctl: cluster takes no arguments (see weftctl --help)\n");
        return 1;
    }
    Json j = Json::parse(bus.describeCluster());
    if (o.json) {
        std::printf("%s\n", weft::jsonText(j, 2).c_str());
        return 0;
    }
    std::string state = text(j, "state");
    if (state == "standalone") {
        std::printf("standalone (no [Cluster] in weftd.conf)\n");
        return 0;
    }
    const Json& lease = j.at("lease");
    std::string leaseId = text(lease, "id");
    int64_t ttl = lease.value("ttl", int64_t(0));
    std::printf("Backend: %s\n", text(j, "backend").c_str());
    std::string reason = text(j, "reason");
    std::printf("State:   %s%s\n", colourState(state).c_str(),
                reason.empty() ? "" : (" (" + reason + ")").c_str());
    std::printf("Node:    %s\n", text(j, "node").c_str());
    std::printf("Prefix:  %s\n", text(j, "prefix").c_str());
    std::printf("Lease:   %s\n", leaseId == "0" || leaseId.empty()
                                     ? "none yet"
                                     : (leaseId + " (ttl " + std::to_string(ttl) + "s)").c_str());
    if (j.contains("records")) {
        const Json& r = j["records"];
        std::printf("Records: %lld wanted, %lld not yet written\n",
                    (long long)r.value("wanted", int64_t(0)),
                    (long long)r.value("pending", int64_t(0)));
    }
    std::printf("\n");
    std::vector<std::vector<std::string>> endpoints{{"ENDPOINT", "PREFERRED"}};
    for (auto& e : j.at("endpoints"))
        endpoints.push_back({text(e, "url"), e.value("preferred", false) ? "yes" : ""});
    printTable(endpoints);
    std::printf("\n");
    std::vector<std::vector<std::string>> nodes{{"NODE", "VERSION", "STARTED", "LEASE"}};
    for (auto& n : j.at("nodes")) {
        std::string name = text(n, "node");
        if (name == text(j, "node"))
            name += " (this node)";
        nodes.push_back({name, orDash(text(n, "version")), since(n.value("started", int64_t(0))),
                         orDash(text(n, "lease"))});
    }
    printTable(nodes);
    return 0;
}

}  // namespace weftctl
