#include "plugin_object.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <stdexcept>

#include "bus_value.hpp"
#include "privilege.hpp"

namespace weft {

std::string PluginObject::pathFor(const std::string& pluginName) {
    char* path = nullptr;
    if (sd_bus_path_encode("/org/weft/Weft1/plugin", pluginName.c_str(), &path) < 0) {
        throw std::runtime_error("cannot encode object path for " + pluginName);
    }
    std::string result(path);
    std::free(path);
    return result;
}

PluginObject::PluginObject(sdbus::IConnection& connection, const std::string& pluginName,
                           std::string interfaceName, PluginView view)
    : AdaptorInterfaces(connection, pathFor(pluginName)),
      interface_(std::move(interfaceName)),
      view_(std::move(view)) {}

PluginObject::~PluginObject() {
    if (published_)
        unregisterAdaptor();
}

void PluginObject::publish() {
    registerAdaptor();
    published_ = true;
}

void PluginObject::announceState() {
    if (!published_)
        return;
    getObject().emitPropertiesChangedSignal(org::weft::Weft1::Plugin_adaptor::INTERFACE_NAME,
                                            {"State", "LastError"});
}

std::string PluginObject::Describe() {
    std::string text = view_.describe();
    return isValidUtf8(text) ? text : escapeInvalidUtf8(text);  // never cut: it is JSON
}

void PluginObject::requireOpen(const std::string& what) const {
    if (published_)
        throw std::logic_error(what + ": register D-Bus members in start()");
    if (interface_.empty())
        throw std::logic_error(what + ": the plugin declares no busInterface");
}

static std::string joinSignature(const std::vector<BusArg>& args) {
    std::string s;
    for (const auto& a : args) {
        if (!isBusValueSignature(a.signature)) {
            throw std::invalid_argument("unsupported D-Bus signature '" + a.signature + "' for " +
                                        a.name);
        }
        s += a.signature;
    }
    return s;
}

static std::vector<std::string> names(const std::vector<BusArg>& args) {
    std::vector<std::string> n;
    for (const auto& a : args)
        n.push_back(a.name);
    return n;
}

void PluginObject::addMethod(const std::string& name, std::vector<BusArg> in,
                             std::vector<BusArg> out, Handler handler, bool changesState) {
    requireOpen("method " + name);
    auto callback = [in, out, handler = std::move(handler), changesState](sdbus::MethodCall call) {
        if (changesState)
            requirePrivileged(&call);
        std::vector<BusValue> args;
        for (const auto& a : in)
            args.push_back(readBusValue(call, a.signature));
        std::vector<BusValue> results;
        try {
            results = handler(args);
        } catch (const BusError& e) {
            throw sdbus::Error("org.weft.Weft1.Error." + e.name(), busText(e.what()));
        } catch (const sdbus::Error&) {
            throw;
        } catch (const std::exception& e) {
            throw sdbus::Error("org.weft.Weft1.Error.Failed", busText(e.what()));
        }
        if (results.size() != out.size()) {
            throw sdbus::Error("org.weft.Weft1.Error.Failed", "plugin returned wrong arity");
        }
        auto reply = call.createReply();
        for (size_t i = 0; i < out.size(); ++i)
            writeBusValue(reply, out[i].signature, results[i]);
        reply.send();
    };
    getObject().registerMethod(interface_, name, joinSignature(in), names(in), joinSignature(out),
                               names(out), std::move(callback));
}

void PluginObject::addProperty(const std::string& name, const std::string& signature,
                               std::function<BusValue()> getter) {
    requireOpen("property " + name);
    joinSignature({{name, signature}});
    getObject().registerProperty(
        interface_, name, signature,
        [signature, getter = std::move(getter)](sdbus::PropertyGetReply& r) {
            writeBusValue(r, signature, getter());
        });
}

void PluginObject::addSignal(const std::string& name, std::vector<BusArg> args) {
    requireOpen("signal " + name);
    getObject().registerSignal(interface_, name, joinSignature(args), names(args));
    signals_[name] = std::move(args);
}

void PluginObject::emitSignal(const std::string& name, const std::vector<BusValue>& args) {
    auto it = signals_.find(name);
    if (!published_ || it == signals_.end())
        return;
    if (args.size() != it->second.size())
        throw std::invalid_argument("signal arity: " + name);
    auto signal = getObject().createSignal(interface_, name);
    for (size_t i = 0; i < args.size(); ++i)
        writeBusValue(signal, it->second[i].signature, args[i]);
    getObject().emitSignal(signal);
}

void PluginObject::emitPropertiesChanged(const std::vector<std::string>& names) {
    if (!published_)
        return;
    getObject().emitPropertiesChangedSignal(interface_, names);
}

}  // namespace weft
