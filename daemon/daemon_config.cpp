#include "daemon_config.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "config/error_limit.hpp"

namespace weft {

static SectionSpec clusterSection() {
    KeySpec backend{"Backend", ValueType::Enum};
    backend.choices = {"etcd"};
    backend.help = "the cluster store; unset = standalone";
    KeySpec endpoints{"Endpoints", ValueType::String, true};
    endpoints.help = "etcd endpoints, https://host:port (space-separated and/or repeated)";
    KeySpec ca{"TrustedCAFile", ValueType::Path};
    ca.help = "CA that signed etcd's server certificates (default: the system's)";
    KeySpec cert{"CertFile", ValueType::Path};
    cert.help = "this node's client certificate (etcd's --client-cert-auth)";
    KeySpec key{"KeyFile", ValueType::Path};
    key.help = "the client certificate's private key";
    KeySpec prefix{"Prefix", ValueType::String};
    prefix.defaultValue = "/weft/";
    prefix.help = "every key weft writes starts with it (ends with /)";
    KeySpec node{"NodeName", ValueType::Name};
    node.help = "this node's name in the cluster (default: the hostname)";
    KeySpec ttl{"LeaseTTL", ValueType::Duration};
    ttl.defaultValue = "15s";
    ttl.help = "this node's records vanish this long after it is gone (5s to 1h)";
    return SectionSpec{"Cluster",
                       false,
                       {backend, endpoints, ca, cert, key, prefix, node, ttl},
                       "the cluster store (etcd) shared by the nodes"};
}

Schema daemonSchema() {
    KeySpec plugins{"Plugins", ValueType::Name, true};
    plugins.help = "plugins to load, in order (space-separated and/or repeated)";
    KeySpec dirs{"PluginDirectory", ValueType::Path, true};
    dirs.help = "extra directories searched for <plugin>.so before the built-in one";
    KeySpec level{"LogLevel", ValueType::Enum};
    level.choices = {"debug", "info", "notice", "warning", "error"};
    KeySpec flush{"FlushOnStop", ValueType::Bool};
    flush.defaultValue = "no";
    flush.help = "remove everything weft owns from the kernel when weftd stops";
    KeySpec owner{"NftablesOwnerFlag", ValueType::Bool};
    owner.defaultValue = "yes";
    owner.help = "own weft's nftables tables (owner+persist) so others cannot change them";
    KeySpec resync{"ResyncInterval", ValueType::Duration};
    resync.defaultValue = "60s";
    resync.help = "re-converge everything at this interval even without a change (1s to 1d)";
    return Schema{
        {SectionSpec{
             "Daemon", false, {plugins, dirs, level, flush, owner, resync}, "the core daemon"},
         clusterSection()}};
}

Location DaemonSettings::locationOf(const std::string& plugin) const {
    for (size_t i = 0; i < plugins.size() && i < pluginLocations.size(); ++i) {
        if (plugins[i] == plugin)
            return pluginLocations[i];
    }
    return Location{file, 0};
}

static std::string hostName() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0])
        return "localhost";
    return buf;
}

// "http(s)://host:port": host a name, an IPv4 address or [IPv6].
static bool validEndpoint(const std::string& url) {
    static const std::regex re(
        R"(^https?://([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$)");
    std::smatch m;
    if (!std::regex_match(url, m, re))
        return false;
    long port = std::stol(m[3].str());
    return port >= 1 && port <= 65535;
}

static void readCluster(const Section& c, cluster::ClusterSettings& s,
                        std::vector<ConfigError>& errors) {
    s.backend = c.str("Backend");
    for (auto* setting : c.all("Endpoints")) {
        // Like Plugins=, one line may list several.
        std::istringstream words(std::get<std::string>(setting->value));
        for (std::string url; words >> url;) {
            if (validEndpoint(url))
                s.endpoints.push_back(url);
            else
                errors.push_back(ConfigError{setting->where, "Cluster", "Endpoints",
                                             "'" + url + "' is not http(s)://host:port"});
        }
    }
    auto file = [&](const char* key, std::string& out) {
        out = c.str(key);
        if (!out.empty() && access(out.c_str(), R_OK) != 0)
            errors.push_back(c.error(key, out + ": " + std::strerror(errno)));
    };
    file("TrustedCAFile", s.trustedCaFile);
    file("CertFile", s.certFile);
    file("KeyFile", s.keyFile);
    if (s.certFile.empty() != s.keyFile.empty())
        errors.push_back(c.error(s.certFile.empty() ? "KeyFile" : "CertFile",
                                 "CertFile= and KeyFile= go together"));
    s.prefix = c.str("Prefix", s.prefix);
    if (s.prefix.empty() || s.prefix.back() != '/' || s.prefix.find("..") != std::string::npos)
        errors.push_back(c.error("Prefix", "must end with / and have no \"..\""));
    s.nodeName = c.str("NodeName");
    if (s.nodeName == "." || s.nodeName.find("..") != std::string::npos)
        errors.push_back(c.error("NodeName", "'" + s.nodeName + "' is not a node name"));
    auto ttl = c.duration("LeaseTTL", s.leaseTtl);
    if (ttl < kMinLeaseTtl || ttl > kMaxLeaseTtl)
        errors.push_back(c.error("LeaseTTL", "must be between 5s and 1h"));
    s.leaseTtl = std::chrono::duration_cast<std::chrono::seconds>(ttl);
    if (!s.backend.empty() && s.endpoints.empty() && !c.has("Endpoints"))
        errors.push_back(c.error("Backend", "Backend=" + s.backend + " needs Endpoints="));
    if (s.backend.empty() && !s.endpoints.empty())
        errors.push_back(c.error("Endpoints", "Endpoints= needs Backend=etcd"));
}

DaemonSettings daemonSettings(const Config& config) {
    DaemonSettings s;
    if (!config.files.empty() &&
        std::filesystem::path(config.files.front()).filename() == "weftd.conf")
        s.file = config.files.front();
    s.cluster.nodeName = hostName();
    std::vector<ConfigError> errors;
    if (const Section* c = config.section("Cluster")) {
        std::string host = s.cluster.nodeName;
        readCluster(*c, s.cluster, errors);
        if (s.cluster.nodeName.empty())
            s.cluster.nodeName = host;
    }
    const Section* d = config.section("Daemon");
    if (!d) {
        if (!errors.empty()) {
            config::limitErrors(errors);
            throw ConfigException(errors);
        }
        return s;
    }
    std::set<std::string> seen;
    for (auto* setting : d->all("Plugins")) {
        auto name = std::get<std::string>(setting->value);
        if (!seen.insert(name).second) {
            errors.push_back(ConfigError{setting->where, "Daemon", "Plugins",
                                         "plugin " + name + " is listed twice"});
            continue;
        }
        s.plugins.push_back(name);
        s.pluginLocations.push_back(setting->where);
    }
    for (auto& p : d->strings("PluginDirectory"))
        s.pluginDirs.emplace_back(p);
    s.logLevel = d->str("LogLevel");
    s.flushOnStop = d->boolean("FlushOnStop", false);
    s.nftOwnerFlag = d->boolean("NftablesOwnerFlag", true);
    s.resyncInterval = d->duration("ResyncInterval", s.resyncInterval);
    if (s.resyncInterval < kMinResyncInterval || s.resyncInterval > kMaxResyncInterval) {
        errors.push_back(d->error("ResyncInterval", "must be between 1s and 1d (24h)"));
    }
    if (!errors.empty()) {
        config::limitErrors(errors);
        throw ConfigException(errors);
    }
    return s;
}

}  // namespace weft
