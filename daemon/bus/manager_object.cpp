#include "manager_object.hpp"

#include "../bus_text.hpp"
#include "privilege.hpp"
#include "weft/config.hpp"
#include "weft_build_config.h"

namespace weft {

ManagerObject::ManagerObject(sdbus::IConnection& connection, ManagerApi& api)
    : AdaptorInterfaces(connection, kPath), api_(api) {
    registerAdaptor();
}

ManagerObject::~ManagerObject() {
    unregisterAdaptor();
}

void ManagerObject::announceState() {
    getObject().emitPropertiesChangedSignal(org::weft::Weft1::Manager_adaptor::INTERFACE_NAME,
                                            {"State"});
}

void ManagerObject::announceClusterState() {
    getObject().emitPropertiesChangedSignal(org::weft::Weft1::Manager_adaptor::INTERFACE_NAME,
                                            {"ClusterState"});
}

// Turns the daemon's exceptions into named D-Bus errors with a human message. The message
// is made fit for the bus: a reply sd-bus cannot build is never sent, the caller hangs.
template <typename Fn>
static auto guarded(Fn&& fn) {
    try {
        return fn();
    } catch (const sdbus::Error&) {
        throw;
    } catch (const ConfigException& e) {
        throw sdbus::Error("org.weft.Weft1.Error.InvalidConfig", busText(e.what()));
    } catch (const std::exception& e) {
        throw sdbus::Error("org.weft.Weft1.Error.Failed", busText(e.what()));
    }
}

void ManagerObject::Reload() {
    requirePrivileged(getObject().getCurrentlyProcessedMessage());
    guarded([&] { api_.reload(); });
}

void ManagerObject::Flush() {
    requirePrivileged(getObject().getCurrentlyProcessedMessage());
    guarded([&] { api_.flush(); });
}

std::vector<sdbus::Struct<std::string, std::string, sdbus::ObjectPath>>
ManagerObject::ListPlugins() {
    return guarded([&] {
        std::vector<sdbus::Struct<std::string, std::string, sdbus::ObjectPath>> out;
        for (auto& p : api_.listPlugins()) {
            out.emplace_back(p.name, p.state, sdbus::ObjectPath(p.objectPath));
        }
        return out;
    });
}

std::string ManagerObject::Describe() {
    return guarded([&] {
        std::string text = api_.describe();
        return isValidUtf8(text) ? text : escapeInvalidUtf8(text);  // never cut: it is JSON
    });
}

std::string ManagerObject::DescribeCluster() {
    return guarded([&] {
        std::string text = api_.describeCluster();
        return isValidUtf8(text) ? text : escapeInvalidUtf8(text);
    });
}

std::string ManagerObject::Version() {
    return WEFT_VERSION;
}

}  // namespace weft
