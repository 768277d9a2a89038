// weave-policy: its D-Bus interface org.weft.Weft1.WeavePolicy
// (dbus/org.weft.Weft1.WeavePolicy.xml).
#include "weave_plugin.hpp"

namespace weft::weave {
namespace {

using Row = std::map<std::string, std::string>;

template <class T>
const T& arg(const std::vector<BusValue>& in, size_t i) {
    return std::get<T>(in.at(i));
}

}  // namespace

void WeavePlugin::registerBus() {
    auto& bus = host_->bus();
    bus.addMethod(
        "Apply", {{"manifest", "s"}}, {{"changes", "aa{ss}"}},
        [this](const std::vector<BusValue>& in) {
            std::vector<Row> rows;
            for (const auto& c : applyManifest(arg<std::string>(in, 0)))
                rows.push_back({{"object", c.key.str()}, {"action", actionName(c.action)}});
            return std::vector<BusValue>{rows};
        },
        true);
    bus.addMethod(
        "Delete", {{"kind", "s"}, {"namespace", "s"}, {"name", "s"}}, {{"object", "s"}},
        [this](const std::vector<BusValue>& in) {
            auto c = deleteObject(arg<std::string>(in, 0), arg<std::string>(in, 1),
                                  arg<std::string>(in, 2));
            return std::vector<BusValue>{c.key.str()};
        },
        true);
    bus.addMethod(
        "List", {}, {{"objects", "aa{ss}"}},
        [this](const std::vector<BusValue>&) { return std::vector<BusValue>{listObjects()}; },
        false);
    bus.addMethod(
        "Explain", {{"source", "s"}, {"destination", "s"}, {"port", "u"}, {"protocol", "s"}},
        {{"verdict", "a{ss}"}},
        [this](const std::vector<BusValue>& in) {
            return std::vector<BusValue>{
                explainConnection(arg<std::string>(in, 0), arg<std::string>(in, 1),
                                  arg<uint32_t>(in, 2), arg<std::string>(in, 3))};
        },
        false);
    bus.addMethod(
        "Drops", {{"limit", "u"}}, {{"drops", "aa{ss}"}},
        [this](const std::vector<BusValue>& in) {
            return std::vector<BusValue>{drops_.latest(arg<uint32_t>(in, 0))};
        },
        false);
    bus.addProperty("Namespaces", "u",
                    [this] { return BusValue{uint32_t(objects_.namespaces().size())}; });
    bus.addProperty("Pods", "u", [this] { return BusValue{uint32_t(objects_.pods().size())}; });
    bus.addProperty("Policies", "u",
                    [this] { return BusValue{uint32_t(objects_.policies().size())}; });
    // The kernel has been handed the objects in force (a refused transaction shows as the
    // plugin's failed state): what a controller or a test waits for after Apply.
    bus.addProperty("Synced", "b", [this] { return BusValue{generation_ > changedAt_}; });
    auto counter = [this](const char* name) {
        auto all = host_->counters(nft::TableFamily::Inet, settings_.compile.table);
        auto it = all.find(name);
        return BusValue{uint64_t(it == all.end() ? 0 : it->second.packets)};
    };
    bus.addProperty("DeniedIngress", "t", [counter] { return counter(kDeniedIngress); });
    bus.addProperty("DeniedEgress", "t", [counter] { return counter(kDeniedEgress); });
}

}  // namespace weft::weave
