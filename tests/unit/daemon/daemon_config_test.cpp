// weftd.conf's own settings (issue 15): ResyncInterval= is range-checked with file:line, and
// each Plugins= entry keeps its line so errors about that plugin name it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config_loader.hpp"
#include "daemon_config.hpp"

using namespace weft;
using namespace std::chrono_literals;

namespace {

const std::string kFile = "/etc/weft/weftd.conf";

DaemonSettings settings(const std::string& text) {
    return daemonSettings(config::parseText(text, kFile, daemonSchema()));
}

// The errors daemonSettings() throws for `text`, as "file:line: ..." strings.
std::vector<std::string> errors(const std::string& text) {
    try {
        settings(text);
    } catch (const ConfigException& e) {
        std::vector<std::string> out;
        for (auto& err : e.errors())
            out.push_back(err.str());
        return out;
    }
    return {};
}

TEST(DaemonConfig, ResyncIntervalOutsideOneSecondToOneDayIsRefusedWithItsLine) {
    for (std::string bad : {"0", "0s", "1ms", "999ms", "1d 1s", "2w", "20000w"}) {
        auto e = errors("[Daemon]\nPlugins=probe\nResyncInterval=" + bad + "\n");
        ASSERT_EQ(e.size(), 1u) << bad;
        EXPECT_EQ(e[0], kFile + ":3: [Daemon] ResyncInterval: must be between 1s and 1d (24h)")
            << bad;
    }
}

TEST(DaemonConfig, ResyncIntervalWithinTheBoundsIsTaken) {
    EXPECT_EQ(settings("[Daemon]\nResyncInterval=1s\n").resyncInterval, 1s);
    EXPECT_EQ(settings("[Daemon]\nResyncInterval=1d\n").resyncInterval, 24h);
    EXPECT_EQ(settings("[Daemon]\nResyncInterval=5min\n").resyncInterval, 5min);
    EXPECT_EQ(settings("[Daemon]\nPlugins=probe\n").resyncInterval, 60s);  // the default
    EXPECT_EQ(settings("").resyncInterval, 60s);
}

TEST(DaemonConfig, EachPluginKeepsTheLineThatListedIt) {
    auto s = settings("[Daemon]\n# core\nPlugins=wireguard-mesh fwmark-routing\n\nPlugins=probe\n");
    ASSERT_EQ(s.plugins, (std::vector<std::string>{"wireguard-mesh", "fwmark-routing", "probe"}));
    EXPECT_EQ(s.locationOf("wireguard-mesh").str(), kFile + ":3");
    EXPECT_EQ(s.locationOf("fwmark-routing").str(), kFile + ":3");
    EXPECT_EQ(s.locationOf("probe").str(), kFile + ":5");
    EXPECT_EQ(s.locationOf("unlisted").str(), kFile + ":0");
}

}  // namespace

// [Cluster] (issue 14): unset Backend= is standalone; each mistake names file, line and key.
class ClusterConfig : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("weft-cluster-config-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        for (auto name : {"ca.pem", "cert.pem", "key.pem"})
            std::ofstream(dir_ / name) << "x\n";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string file(const char* name) const { return (dir_ / name).string(); }
    std::filesystem::path dir_;
};

TEST_F(ClusterConfig, NoClusterSectionOrNoBackendIsStandalone) {
    auto s = settings("[Daemon]\nPlugins=probe\n");
    EXPECT_TRUE(s.cluster.standalone());
    EXPECT_EQ(s.cluster.prefix, "/weft/");
    EXPECT_EQ(s.cluster.leaseTtl, 15s);
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    EXPECT_EQ(s.cluster.nodeName, host);
    EXPECT_TRUE(settings("[Cluster]\nPrefix=/x/\n").cluster.standalone());
}

TEST_F(ClusterConfig, EveryKeyIsTaken) {
    auto s = settings(
        "[Cluster]\nBackend=etcd\nEndpoints=https://10.0.0.1:2379 "
        "https://etcd-b.example:2379\nEndpoints=http://[fd00::1]:2379\n"
        "TrustedCAFile=" +
        file("ca.pem") + "\nCertFile=" + file("cert.pem") + "\nKeyFile=" + file("key.pem") +
        "\nPrefix=/cluster-a/\nNodeName=node-7\nLeaseTTL=1min\n");
    EXPECT_EQ(s.cluster.backend, "etcd");
    EXPECT_EQ(s.cluster.endpoints,
              (std::vector<std::string>{"https://10.0.0.1:2379", "https://etcd-b.example:2379",
                                        "http://[fd00::1]:2379"}));
    EXPECT_EQ(s.cluster.trustedCaFile, file("ca.pem"));
    EXPECT_EQ(s.cluster.certFile, file("cert.pem"));
    EXPECT_EQ(s.cluster.keyFile, file("key.pem"));
    EXPECT_EQ(s.cluster.prefix, "/cluster-a/");
    EXPECT_EQ(s.cluster.nodeName, "node-7");
    EXPECT_EQ(s.cluster.leaseTtl, 60s);
}

TEST_F(ClusterConfig, BadEndpointsAreRefusedEachWithItsLine) {
    for (std::string bad : {"10.0.0.1:2379", "https://10.0.0.1", "ftp://a:1", "https://a:0",
                            "https://a:65536", "https://a:2379/v3", "https://-a:1"}) {
        auto e = errors("[Cluster]\nBackend=etcd\n\nEndpoints=https://ok:2379 " + bad + "\n");
        ASSERT_EQ(e.size(), 1u) << bad;
        EXPECT_EQ(e[0], kFile + ":4: [Cluster] Endpoints: '" + bad + "' is not http(s)://host:port")
            << bad;
    }
}

TEST_F(ClusterConfig, UnreadableFilesAreRefusedWithTheirKeyAndLine) {
    auto e = errors(
        "[Cluster]\nBackend=etcd\nEndpoints=https://a:2379\nTrustedCAFile=" + file("missing.pem") +
        "\nCertFile=" + file("cert.pem") + "\nKeyFile=" + file("nokey.pem") + "\n");
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0], kFile + ":4: [Cluster] TrustedCAFile: " + file("missing.pem") +
                        ": No such file or directory");
    EXPECT_EQ(e[1], kFile + ":6: [Cluster] KeyFile: " + file("nokey.pem") +
                        ": No such file or directory");
}

TEST_F(ClusterConfig, ACertificateNeedsItsKey) {
    auto e = errors(
        "[Cluster]\nBackend=etcd\nEndpoints=https://a:2379\nCertFile=" + file("cert.pem") + "\n");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0], kFile + ":4: [Cluster] CertFile: CertFile= and KeyFile= go together");
}

TEST_F(ClusterConfig, LeaseTtlOutsideFiveSecondsToAnHourIsRefused) {
    for (std::string bad : {"1s", "4999ms", "1h 1s", "1d"}) {
        auto e =
            errors("[Cluster]\nBackend=etcd\nEndpoints=https://a:2379\nLeaseTTL=" + bad + "\n");
        ASSERT_EQ(e.size(), 1u) << bad;
        EXPECT_EQ(e[0], kFile + ":4: [Cluster] LeaseTTL: must be between 5s and 1h") << bad;
    }
    EXPECT_EQ(settings("[Cluster]\nLeaseTTL=5s\n").cluster.leaseTtl, 5s);
    EXPECT_EQ(settings("[Cluster]\nLeaseTTL=1h\n").cluster.leaseTtl, 1h);
}

TEST_F(ClusterConfig, BackendWithoutEndpointsAndTheReverseAreRefused) {
    auto e = errors("[Cluster]\nBackend=etcd\n");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0], kFile + ":2: [Cluster] Backend: Backend=etcd needs Endpoints=");
    e = errors("[Cluster]\nEndpoints=https://a:2379\n");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0], kFile + ":2: [Cluster] Endpoints: Endpoints= needs Backend=etcd");
    e = errors("[Cluster]\nBackend=consul\nEndpoints=https://a:2379\n");
    ASSERT_FALSE(e.empty());  // the schema knows only etcd
    EXPECT_NE(e[0].find(":2: [Cluster] Backend"), std::string::npos) << e[0];
}

TEST_F(ClusterConfig, PrefixAndNodeNameMustMakeSafeKeys) {
    auto e = errors("[Cluster]\nPrefix=/weft\n");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0], kFile + ":2: [Cluster] Prefix: must end with / and have no \"..\"");
    e = errors("[Cluster]\nPrefix=/a/../b/\n");
    ASSERT_EQ(e.size(), 1u);
    e = errors("[Cluster]\nNodeName=..\n");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0], kFile + ":2: [Cluster] NodeName: '..' is not a node name");
    e = errors("[Cluster]\nNodeName=a/b\n");  // the schema's Name type refuses the slash
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].find(":2: [Cluster] NodeName"), std::string::npos) << e[0];
}
