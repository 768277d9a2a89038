// weftctl's view of weftd over D-Bus (generated proxies + generic property reads).
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace weftctl {

/// A failure to report to the user, already phrased for humans.
struct CliError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PluginRow {
    std::string name, state, path;
};

/// An argument of a plugin method: D-Bus "s" or "u".
using CallArg = std::variant<std::string, uint32_t>;
/// One a{ss} dictionary, as plugins return rows and records.
using Record = std::map<std::string, std::string>;

class BusClient {
  public:
    BusClient();  ///< connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS honoured)
    std::string version();
    std::string state();
    std::vector<PluginRow> plugins();
    std::string describe();
    std::string describeCluster();  ///< the Manager's DescribeCluster() JSON
    std::string describePlugin(const std::string& name);
    std::string pluginProperty(const std::string& name, const std::string& property);
    std::vector<std::map<std::string, std::string>> meshPeers();
    std::string meshPublicKey();
    void reload();
    void flush();

    // Generic calls of a plugin's own interface (registered at run time, so no generated
    // proxy). Errors the plugin raises arrive as sdbus::Error with its message.
    std::vector<Record> callRecords(const std::string& plugin, const std::string& interface,
                                    const std::string& method, const std::vector<CallArg>& args);
    Record callRecord(const std::string& plugin, const std::string& interface,
                      const std::string& method, const std::vector<CallArg>& args);
    std::string callString(const std::string& plugin, const std::string& interface,
                           const std::string& method, const std::vector<CallArg>& args);
    /// A "u" or "t" property of a plugin's interface.
    uint64_t pluginCounter(const std::string& plugin, const std::string& interface,
                           const std::string& property);

  private:
    std::string pathOf(const std::string& plugin);
    sdbus::MethodReply callPlugin(const std::string& plugin, const std::string& interface,
                                  const std::string& method, const std::vector<CallArg>& args);
    std::unique_ptr<sdbus::IConnection> connection_;
};

/// Rephrases a D-Bus error for the user ("weftd is not running", ...).
std::string explain(const sdbus::Error& e);

}  // namespace weftctl
