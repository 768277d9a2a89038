// weftctl: query and control weftd.
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "commands.hpp"
#include "weft_build_config.h"

namespace {

void usage(FILE* out) {
    std::fprintf(
        out,
        "Usage: weftctl [--json] COMMAND [ARGS]\n\n"
        "Query and control weftd, the weft host network manager.\n\n"
        "Commands:\n"
        "  status              daemon state and one line per plugin\n"
        "  plugins             configured plugins and their D-Bus objects\n"
        "  describe [PLUGIN]   whole state (or one plugin's) as JSON\n"
        "  mesh | peers        WireGuard mesh peers: state, endpoint, handshake, traffic\n"
        "  routes              fwmark-routing policies, rules and counters\n"
        "  exemptions          exemption-rules and the ip rules they produced\n"
        "  egress              vpn-egress gateways: state, buckets, flows, traffic; port forwards\n"
        "  policy              weave-policy: objects in force, packets denied\n"
        "  policy apply -f FILE|-\n"
        "                      apply a Kubernetes manifest (YAML or JSON; - reads stdin)\n"
        "  policy delete KIND NAMESPACE/NAME\n"
        "                      delete an applied pod or networkpolicy (a namespace: NAME)\n"
        "  policy list         namespaces, pods and network policies in force\n"
        "  policy explain SRC DST PORT[/PROTO]\n"
        "                      whether policy admits a connection (SRC, DST: address or ns/pod)\n"
        "  policy drops [N]    the N (20) latest connections policy denied\n"
        "  cluster             the cluster store: state, endpoints, this node's lease, nodes\n"
        "  reload              re-read all configuration (all-or-nothing)\n"
        "  flush               remove what weft's record says it owns (its leases)\n\n"
        "Options:\n"
        "  --json              machine-readable output (read commands)\n"
        "  -h --help           show this help\n"
        "     --version        show the version\n\n"
        "weftctl talks to weftd on the system bus ($DBUS_SYSTEM_BUS_ADDRESS is honoured).\n");
}

}  // namespace

int main(int argc, char** argv) {
    using namespace weftctl;
    Options opts;
    std::string command;
    const std::set<std::string> takesOptions{"policy"};  // commands with options of their own
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        }
        if (a == "--version") {
            std::printf("weftctl %s\n", WEFT_VERSION);
            return 0;
        }
        // An option weftctl does not know is the command's own (policy apply -f FILE, "-"
        // for stdin) if a command that takes options came first.
        bool commandOption = takesOptions.count(command);
        if (a == "--json" || a == "-j") {
            opts.json = true;
        } else if (a.rfind("-", 0) == 0 && !commandOption) {
            std::fprintf(stderr, "weftctl: unknown option %s (see weftctl --help)\n", a.c_str());
            return 1;
        } else if (command.empty()) {
            command = a;
        } else {
            opts.args.push_back(a);
        }
    }
    if (command.empty())
        command = "status";
    const std::map<std::string, std::function<int(BusClient&, const Options&)>> commands{
        {"status", cmdStatus}, {"plugins", cmdPlugins}, {"describe", cmdDescribe},
        {"reload", cmdReload}, {"flush", cmdFlush},     {"mesh", cmdMesh},
        {"peers", cmdMesh},    {"routes", cmdRoutes},   {"exemptions", cmdExemptions},
        {"egress", cmdEgress}, {"policy", cmdPolicy},   {"cluster", cmdCluster}};
    auto it = commands.find(command);
    if (it == commands.end()) {
        std::fprintf(stderr, "weftctl: unknown command '%s' (see weftctl --help)\n",
                     command.c_str());
        return 1;
    }
    try {
        BusClient bus;
        return it->second(bus, opts);
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "weftctl: %s\n", explain(e).c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weftctl: %s\n", e.what());
    }
    return 1;
}
