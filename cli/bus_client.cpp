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
    // A plugin's own errors: the message names what is wrong (one line per bad object, maybe
    // many), so it is printed whole and not followed by the error name.
    if (n == "org.weft.Weft1.Error.InvalidArgument") {
        const auto& m = e.getMessage();
        return m.find('\n') == std::string::npos ? m : "refused:\n" + m;
    }
    if (n == "org.weft.Weft1.Error.NotFound")
        return e.getMessage();
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
std::string BusClient::describeCluster() {
    return ManagerProxy(*connection_).DescribeCluster();
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

sdbus::MethodReply BusClient::callPlugin(const std::string& plugin, const std::string& interface,
                                         const std::string& method,
                                         const std::vector<CallArg>& args) {
    auto proxy = sdbus::createProxy(*connection_, kService, pathOf(plugin));
    auto call = proxy->createMethodCall(interface, method);
    for (const auto& a : args)
        std::visit([&call](const auto& v) { call << v; }, a);
    return proxy->callMethod(call);
}

std::vector<Record> BusClient::callRecords(const std::string& plugin, const std::string& interface,
                                           const std::string& method,
                                           const std::vector<CallArg>& args) {
    std::vector<Record> out;
    auto reply = callPlugin(plugin, interface, method, args);
    reply >> out;
    return out;
}

Record BusClient::callRecord(const std::string& plugin, const std::string& interface,
                             const std::string& method, const std::vector<CallArg>& args) {
    Record out;
    auto reply = callPlugin(plugin, interface, method, args);
    reply >> out;
    return out;
}

std::string BusClient::callString(const std::string& plugin, const std::string& interface,
                                  const std::string& method, const std::vector<CallArg>& args) {
    std::string out;
    auto reply = callPlugin(plugin, interface, method, args);
    reply >> out;
    return out;
}

uint64_t BusClient::pluginCounter(const std::string& plugin, const std::string& interface,
                                  const std::string& property) {
    auto proxy = sdbus::createProxy(*connection_, kService, pathOf(plugin));
    sdbus::Variant v = proxy->getProperty(property).onInterface(interface);
    if (v.containsValueOfType<uint32_t>())
        return v.get<uint32_t>();
    if (v.containsValueOfType<uint64_t>())
        return v.get<uint64_t>();
    throw CliError(plugin + ": property " + property + " is not a count (type " +
                   v.peekValueType() + ")");
}

}  // namespace weftctl
