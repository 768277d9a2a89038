#include "weave_settings.hpp"

#include <algorithm>
#include <set>

#include "manifest.hpp"

namespace weft::weave {
namespace {

using namespace weft::schema;

SectionSpec enforcementSection() {
    return SectionSpec{
        "Enforcement",
        false,
        {key("Bridge", ValueType::Name, {}, "bridge of this host's pods (seen via br_netfilter)"),
         repeated(key("PodInterfaces", ValueType::String, {},
                      "routed pod interfaces: names or patterns ending in '*'")),
         range(key("LogGroup", ValueType::Int, "86", "nflog group of denied connections"), 0,
               65535),
         range(key("LogRate", ValueType::Int, "10", "denied connections logged per second"), 0,
               100000),
         key("AllowHostTraffic", ValueType::Bool, "yes",
             "the host's own traffic to its pods (kubelet probes) is not policed"),
         key("EgressMark", ValueType::Mark, "0x2000000/0x2000000",
             "fwmark bits set on packets egress policy admitted")},
        "where policy is enforced"};
}

// An interface name or a pattern "veth*": IFNAMSIZ-1 characters at most, no '/' or space.
std::string badInterface(const std::string& name) {
    if (name.empty() || name.size() > 15)
        return "must be 1 to 15 characters";
    if (name == "*")
        return "\"*\" alone would police every interface; leave PodInterfaces= out";
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (c == '*' && i + 1 != name.size())
            return "'*' may only end a pattern";
        if (c == '/' || c == ':' || static_cast<unsigned char>(c) <= ' ')
            return "contains a character an interface name cannot have";
    }
    return {};
}

}  // namespace

Schema weaveSchema() {
    Schema s{{enforcementSection()}};
    s.dataDirectory = "weave-policy.d";
    s.dataExtensions = {".yaml", ".yml", ".json"};
    return s;
}

Settings readSettings(const Config& config) {
    Settings s;
    std::vector<ConfigError> errors;
    if (const Section* e = config.section("Enforcement")) {
        s.bridge = e->str("Bridge");
        for (const auto& name : e->strings("PodInterfaces")) {
            if (auto why = badInterface(name); !why.empty())
                errors.push_back(e->error("PodInterfaces", "\"" + name + "\" " + why));
            else
                s.podInterfaces.push_back(name);
        }
        s.compile.logGroup = uint16_t(e->integer("LogGroup", 86));
        s.compile.logRate = uint32_t(e->integer("LogRate", 10));
        s.compile.policeHostTraffic = !e->boolean("AllowHostTraffic", true);
        s.compile.egressMark = e->mark("EgressMark").value_or(Mark{0x2000000, 0x2000000});
        if (s.compile.egressMark.value == 0)
            errors.push_back(e->error("EgressMark", "the mark must set at least one bit"));
    }
    if (!s.bridge.empty())
        s.compile.interfaces.push_back(s.bridge);
    for (const auto& i : s.podInterfaces)
        if (std::find(s.compile.interfaces.begin(), s.compile.interfaces.end(), i) ==
            s.compile.interfaces.end())
            s.compile.interfaces.push_back(i);

    for (const auto& file : config.dataFiles) {
        ParsedManifest parsed = parseManifest(file.text, file.path);
        for (const auto& err : parsed.errors) {
            // "web.yaml:12: document 2: NetworkPolicy x/web: spec.ingress[0]...: reason"
            std::string reason = "document " + std::to_string(err.document) + ": ";
            if (!err.object.empty())
                reason += err.object + ": ";
            if (!err.field.empty())
                reason += err.field + ": ";
            errors.push_back(
                ConfigError{Location{file.path, unsigned(err.line)}, "", "", reason + err.message});
        }
        s.manifests.push_back({file.path, std::move(parsed.objects)});
    }
    if (!errors.empty())
        throw ConfigException(std::move(errors));
    return s;
}

std::vector<Sysctl> bridgeSysctls() {
    return {{"net.bridge.bridge-nf-call-iptables", "1"},
            {"net.bridge.bridge-nf-call-ip6tables", "1"}};
}

}  // namespace weft::weave
