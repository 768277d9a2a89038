// weftctl's view of weftd over D-Bus (generated proxies + generic property reads).
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <memory>
#include <string>
#include <vector>

namespace weftctl {

/// A failure to report to the user, already phrased for humans.
struct CliError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PluginRow {
    std::string name, state, path;
};

class BusClient {
  public:
    BusClient();  ///< connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS honoured)
    std::string version();
    std::string state();
    std::vector<PluginRow> plugins();
    std::string describe();
    std::string describePlugin(const std::string& name);
    std::string pluginProperty(const std::string& name, const std::string& property);
    std::vector<std::map<std::string, std::string>> meshPeers();
    std::string meshPublicKey();
    void reload();
    void flush();

  private:
    std::string pathOf(const std::string& plugin);
    std::unique_ptr<sdbus::IConnection> connection_;
};

/// Rephrases a D-Bus error for the user ("weftd is not running", ...).
std::string explain(const sdbus::Error& e);

}  // namespace weftctl
