// A plugin's D-Bus object: the generic org.weft.Weft1.Plugin interface (generated
// adaptor) plus the plugin's own interface, registered at run time through BusObject.
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <functional>
#include <set>
#include <string>

#include "../bus_text.hpp"
#include "plugin_adaptor.h"
#include "weft/plugin.hpp"

namespace weft {

/// Read-side of a plugin the object needs; the daemon fills it.
struct PluginView {
    std::function<std::string()> name, version, state, lastError, describe;
};

class PluginObject final
    : public sdbus::AdaptorInterfaces<org::weft::Weft1::Plugin_adaptor, sdbus::Properties_adaptor>,
      public BusObject {
  public:
    /// The object path for a plugin name: /org/weft/Weft1/plugin/<escaped name>.
    static std::string pathFor(const std::string& pluginName);

    PluginObject(sdbus::IConnection& connection, const std::string& pluginName,
                 std::string interfaceName, PluginView view);
    ~PluginObject();

    /// Publishes the object; after this no members can be added.
    void publish();
    bool published() const { return published_; }
    /// Announces the generic properties (State, LastError) as changed.
    void announceState();

    // BusObject (the plugin's own interface)
    void addMethod(const std::string& name, std::vector<BusArg> in, std::vector<BusArg> out,
                   Handler handler, bool changesState) override;
    void addProperty(const std::string& name, const std::string& signature,
                     std::function<BusValue()> getter) override;
    void addSignal(const std::string& name, std::vector<BusArg> args) override;
    void emitSignal(const std::string& name, const std::vector<BusValue>& args) override;
    void emitPropertiesChanged(const std::vector<std::string>& names) override;

  private:
    // Through busText: a string sd-bus cannot send fails the whole reply.
    std::string Name() override { return busText(view_.name()); }
    std::string Version() override { return busText(view_.version()); }
    std::string State() override { return busText(view_.state()); }
    std::string LastError() override { return busText(view_.lastError()); }
    std::string Describe() override;
    void requireOpen(const std::string& what) const;

    std::string interface_;
    PluginView view_;
    bool published_ = false;
    std::map<std::string, std::vector<BusArg>> signals_;
};

}  // namespace weft
