#include "bus_client.hpp"

#include <systemd/sd-bus.h>

#include "manager_proxy.h"
#include "plugin_proxy.h"

namespace weftctl {
namespace {

constexpr const char* kService = "org.weft.Weft1";
constexpr const char* kManagerPath = "/org/weft/Weft1";

class ManagerProxy final : public sdbus::ProxyInterfaces<org::weft::Weft1::Manager_proxy> {
  public:
    ManagerProxy(sdbus::IConnection& c) : ProxyInterfaces(c, kService, kManagerPath) {
        registerProxy();
    }
    ~ManagerProxy() { unregisterProxy(); }
};

class PluginProxy final : public sdbus::ProxyInterfaces<org::weft::Weft1::Plugin_proxy> {
  public:
    PluginProxy(sdbus::IConnection& c, std::string path)
        : ProxyInterfaces(c, kService, std::move(path)) {
        registerProxy();
    }
    ~PluginProxy() { unregisterProxy(); }
};

}  // namespace

std::string explain(const sdbus::Error& e) {
    const auto& n = e.getName();
    if (n == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        n == "org.freedesktop.DBus.Error.NameHasNoOwner") {
        return "weftd is not running (nobody owns org.weft.Weft1 on the system bus)";
    }
    if (n == "org.freedesktop.DBus.Error.AccessDenied" ||
        n == "org.weft.Weft1.Error.AccessDenied") {
        return "access denied: this needs root (or group weft): " + e.getMessage();
    }
    if (n == "org.freedesktop.DBus.Error.FileNotFound" ||
        n == "org.freedesktop.DBus.Error.NoServer") {
        return "cannot reach the system bus: " + e.getMessage();
    }
    if (n == "org.weft.Weft1.Error.InvalidConfig")
        return "configuration refused:\n" + e.getMessage();
    return e.getMessage() + " (" + n + ")";
}

BusClient::BusClient() {
    try {
        connection_ = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
        throw CliError("cannot connect to the system bus: " + e.getMessage());
    }
}

std::string BusClient::version() {
    return ManagerProxy(*connection_).Version();
}
std::string BusClient::state() {
    return ManagerProxy(*connection_).State();
}
std::string BusClient::describe() {
    return ManagerProxy(*connection_).Describe();
}
void BusClient::reload() {
    ManagerProxy(*connection_).Reload();
}
void BusClient::flush() {
    ManagerProxy(*connection_).Flush();
}

std::vector<PluginRow> BusClient::plugins() {
    std::vector<PluginRow> rows;
    for (auto& s : ManagerProxy(*connection_).ListPlugins()) {
        rows.push_back({std::get<0>(s), std::get<1>(s), std::get<2>(s)});
    }
    return rows;
}

std::string BusClient::pathOf(const std::string& plugin) {
    for (auto& p : plugins()) {
        if (p.name == plugin)
            return p.path;
    }
    throw CliError("no plugin named '" + plugin + "' is configured");
}

std::string BusClient::describePlugin(const std::string& name) {
    return PluginProxy(*connection_, pathOf(name)).Describe();
}

std::string BusClient::pluginProperty(const std::string& name, const std::string& property) {
    auto proxy = sdbus::createProxy(*connection_, kService, pathOf(name));
    sdbus::Variant v = proxy->getProperty(property).onInterface("org.weft.Weft1.Plugin");
    return v.get<std::string>();
}

std::vector<std::map<std::string, std::string>> BusClient::meshPeers() {
    auto proxy = sdbus::createProxy(*connection_, kService, pathOf("wireguard-mesh"));
    sdbus::Variant v = proxy->getProperty("Peers").onInterface("org.weft.Weft1.WireguardMesh");
    return v.get<std::vector<std::map<std::string, std::string>>>();
}

std::string BusClient::meshPublicKey() {
    auto proxy = sdbus::createProxy(*connection_, kService, pathOf("wireguard-mesh"));
    sdbus::Variant v = proxy->getProperty("PublicKey").onInterface("org.weft.Weft1.WireguardMesh");
    return v.get<std::string>();
}

}  // namespace weftctl
