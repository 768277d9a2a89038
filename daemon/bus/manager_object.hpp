// /org/weft/Weft1: the org.weft.Weft1.Manager interface (generated adaptor).
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <string>
#include <tuple>
#include <vector>

#include "manager_adaptor.h"

namespace weft {

/// What the manager object asks of the daemon. Methods may throw ConfigException
/// (-> org.weft.Weft1.Error.InvalidConfig) or std::exception (-> ...Error.Failed).
class ManagerApi {
  public:
    struct PluginEntry {
        std::string name, state, objectPath;
    };
    virtual ~ManagerApi() = default;
    virtual void reload() = 0;
    virtual void flush() = 0;
    virtual std::vector<PluginEntry> listPlugins() = 0;
    virtual std::string describe() = 0;
    virtual std::string state() = 0;
    virtual std::string describeCluster() = 0;
    virtual std::string clusterState() = 0;
};

class ManagerObject final : public sdbus::AdaptorInterfaces<org::weft::Weft1::Manager_adaptor,
                                                            sdbus::Properties_adaptor> {
  public:
    static constexpr const char* kPath = "/org/weft/Weft1";
    ManagerObject(sdbus::IConnection& connection, ManagerApi& api);
    ~ManagerObject();
    void announceState();
    void announceClusterState();

  private:
    void Reload() override;
    std::vector<sdbus::Struct<std::string, std::string, sdbus::ObjectPath>> ListPlugins() override;
    std::string Describe() override;
    void Flush() override;
    std::string Version() override;
    std::string State() override { return api_.state(); }
    std::string DescribeCluster() override;
    std::string ClusterState() override { return api_.clusterState(); }

    ManagerApi& api_;
};

}  // namespace weft
