// The smallest valid plugin, shared by the loader's test libraries.
#pragma once

#include <stdexcept>

#include "weft/plugin.hpp"

namespace loadertest {

class Minimal : public weft::Plugin {
  public:
    weft::PluginInfo info() const override { return {PLUGIN_NAME, "1", "", "loader test"}; }
    weft::Schema schema() const override { return {}; }
    void validate(const weft::Config&) const override {}
    weft::Lease lease(const weft::Config&) const override { return {}; }
    void configure(const weft::Config&) override {}
    void start(weft::Host&) override {}
    weft::DesiredState desiredState() override { return {}; }
    std::string describe() const override { return "{}"; }
};

}  // namespace loadertest
