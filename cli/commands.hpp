// weftctl's commands. Each returns the process exit code (0 ok, 1 failure).
#pragma once

#include <string>
#include <vector>

#include "bus_client.hpp"

namespace weftctl {

struct Options {
    bool json = false;
    std::vector<std::string> args;  ///< after the command word
};

int cmdStatus(BusClient& bus, const Options& o);
int cmdPlugins(BusClient& bus, const Options& o);
int cmdDescribe(BusClient& bus, const Options& o);
int cmdReload(BusClient& bus, const Options& o);
int cmdFlush(BusClient& bus, const Options& o);
int cmdMesh(BusClient& bus, const Options& o);
int cmdRoutes(BusClient& bus, const Options& o);
int cmdExemptions(BusClient& bus, const Options& o);
int cmdEgress(BusClient& bus, const Options& o);
/// weave-policy: apply, delete, list, explain, drops, or its status (policy_command.cpp).
int cmdPolicy(BusClient& bus, const Options& o);
/// The cluster store: backend, state, this node's lease, endpoints, nodes (cluster_command.cpp).
int cmdCluster(BusClient& bus, const Options& o);

}  // namespace weftctl
