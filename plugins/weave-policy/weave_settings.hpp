// weave-policy: its config file (weave-policy.conf) and manifest directory (weave-policy.d/).
#pragma once

#include <string>
#include <vector>

#include "object_set.hpp"
#include "policy_compiler.hpp"
#include "weft/config.hpp"

namespace weft::weave {

Schema weaveSchema();

/// Objects of one manifest file, in force while the file is there.
struct ManifestFile {
    std::string path;
    std::vector<Object> objects;
    bool operator==(const ManifestFile&) const = default;
};

struct Settings {
    std::string bridge;                      ///< [Enforcement] Bridge=, or empty
    std::vector<std::string> podInterfaces;  ///< PodInterfaces=
    CompileOptions compile;
    std::vector<ManifestFile> manifests;  ///< weave-policy.d/*.yaml|yml|json, by file name
};

/// Reads and checks the config and the manifests. Throws ConfigException naming each bad
/// key (file:line) or bad object (file, document, object, field).
Settings readSettings(const Config& config);

/// br_netfilter's switches: bridged IPv4 and IPv6 pass the inet hooks (needed with Bridge=).
std::vector<Sysctl> bridgeSysctls();

}  // namespace weft::weave
