// weave-policy in a cluster ([Cluster] set): local objects become store records, every
// node's records are in force here, bad records are ignored by key, an outage removes
// nothing, and what the store held survives a restart (cluster_sync.hpp).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include "fake_host.hpp"
#include "manifest.hpp"
#include "weave_plugin.hpp"

namespace weft::weave {
namespace {

namespace fs = std::filesystem;
using Row = std::map<std::string, std::string>;

Address A(const char* s) {
    return *Address::parse(s);
}

std::string podJson(const std::string& ns, const std::string& name, const std::string& app,
                    const std::string& ip) {
    return R"({"apiVersion":"v1","kind":"Pod","metadata":{"namespace":")" + ns + R"(","name":")" +
           name + R"(","labels":{"app":")" + app + R"("}},"status":{"podIPs":[{"ip":")" + ip +
           R"("}]}})";
}

/// In namespace x: pods app=a admit ingress from pods app=b only.
const std::string kAllowB = R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
  "metadata":{"namespace":"x","name":"allow-b"},
  "spec":{"podSelector":{"matchLabels":{"app":"a"}},
          "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"b"}}}]}]}})";

ClusterEvent put(const std::string& key, const std::string& value) {
    return {ClusterEvent::Type::Put, key, value};
}
ClusterEvent del(const std::string& key) {
    return {ClusterEvent::Type::Delete, key, ""};
}

bool hasLog(const test::FakeHost& host, const std::string& part) {
    return std::any_of(host.logs.begin(), host.logs.end(),
                       [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

class ClusterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "weft-weave-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir = pattern;
        host = std::make_unique<test::FakeHost>("weave-policy", dir);
        host->storeState = ClusterState::Connected;
    }
    void TearDown() override {
        if (plugin)
            plugin->stop();
        plugin.reset();
        host.reset();
        fs::remove_all(dir);
    }
    void start(Config config = {}) {
        plugin = std::make_unique<WeavePlugin>();
        plugin->configure(config);
        plugin->start(*host);
    }
    void restart() {
        plugin->stop();
        start();
    }
    void deliver(std::vector<ClusterEvent> events, bool initial = false) {
        host->deliverCluster(ClusterBatch{initial, std::move(events)});
    }
    /// Whether some selection set (s4_*/s6_*) of the compiled table holds `ip`.
    bool selected(const char* ip) {
        DesiredState d = plugin->desiredState();
        for (const auto& s : d.tables.at(0).sets)
            if ((s.name.starts_with("s4_") || s.name.starts_with("s6_")) &&
                s.elements.find(Prefix::host(A(ip))))
                return true;
        return false;
    }
    bool hasChain(const std::string& name) {
        DesiredState d = plugin->desiredState();
        const auto& chains = d.tables.at(0).chains;
        return std::any_of(chains.begin(), chains.end(),
                           [&](const nft::Chain& c) { return c.name == name; });
    }
    Row row(const std::string& kind, const std::string& ns, const std::string& name) {
        for (auto& r : plugin->listObjects())
            if (r["kind"] == kind && r["namespace"] == ns && r["name"] == name)
                return r;
        return {};
    }
    const Pod* pod(const std::string& ns, const std::string& name) {
        auto it = plugin->objects().pods().find({ns, name});
        return it == plugin->objects().pods().end() ? nullptr : &it->second;
    }

    fs::path dir;
    std::unique_ptr<test::FakeHost> host;
    std::unique_ptr<WeavePlugin> plugin;
};

TEST_F(ClusterTest, ApplyWritesRecordsWithTheirLifetimes) {
    Config config;
    config.dataFiles.push_back(
        {"/etc/weft/weave-policy.d/ns.json",
         R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x","labels":{"team":"x"}}})"});
    start(config);
    ASSERT_EQ(host->watches.size(), 1u);
    EXPECT_EQ(host->watches.begin()->second.first, "objects/");
    ASSERT_TRUE(host->records.count("objects/Namespace/_/x")) << "a file's object is shared too";
    EXPECT_EQ(host->records.at("objects/Namespace/_/x").second, RecordLifetime::Persistent);

    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.2"));
    plugin->applyManifest(kAllowB);
    ASSERT_TRUE(host->records.count("objects/Pod/x/a"));
    EXPECT_EQ(host->records.at("objects/Pod/x/a").second, RecordLifetime::Node);
    ASSERT_TRUE(host->records.count("objects/NetworkPolicy/x/allow-b"));
    EXPECT_EQ(host->records.at("objects/NetworkPolicy/x/allow-b").second,
              RecordLifetime::Persistent);
    EXPECT_EQ(host->records.size(), 3u);

    // Each value is the object's manifest: parsed back, it is the object in force.
    for (const auto& [key, record] : host->records) {
        ParsedManifest parsed = parseManifest(record.first, key);
        ASSERT_TRUE(parsed.errors.empty()) << key;
        ASSERT_EQ(parsed.objects.size(), 1u) << key;
        auto all = plugin->objects().all();
        EXPECT_NE(std::find(all.begin(), all.end(), parsed.objects[0]), all.end()) << key;
    }

    // An update rewrites the record.
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.3"));
    EXPECT_NE(host->records.at("objects/Pod/x/a").first.find("10.0.1.3"), std::string::npos);
}

TEST_F(ClusterTest, StandaloneWritesAndWatchesNothing) {
    host->storeState = ClusterState::Standalone;
    start();
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.2"));
    EXPECT_TRUE(host->records.empty());
    EXPECT_TRUE(host->watches.empty());
    EXPECT_EQ(row("Pod", "x", "a")["origin"], "local");
    EXPECT_EQ(row("Pod", "x", "a")["source"], "runtime");
}

TEST_F(ClusterTest, RemotePodAndPolicyAreCompiled) {
    start();
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.2"));
    EXPECT_FALSE(hasChain("in_x/allow-b"));
    unsigned reconciles = host->reconcileRequests;

    // Another node's policy and pod arrive from the store.
    deliver({put("objects/NetworkPolicy/x/allow-b", kAllowB),
             put("objects/Pod/x/b", podJson("x", "b", "b", "10.0.9.9"))},
            true);
    EXPECT_GT(host->reconcileRequests, reconciles);
    EXPECT_TRUE(hasChain("in_x/allow-b"));
    ASSERT_NE(pod("x", "b"), nullptr);
    EXPECT_TRUE(selected("10.0.9.9")) << "the remote pod is in the policy's peer set";
    EXPECT_EQ(row("Pod", "x", "b")["source"], "cluster");
    EXPECT_EQ(row("Pod", "x", "b")["origin"], "cluster");
    EXPECT_EQ(row("NetworkPolicy", "x", "allow-b")["origin"], "cluster");
    EXPECT_EQ(row("Pod", "x", "a")["origin"], "local");
    EXPECT_EQ(row("NetworkPolicy", "x", "allow-b")["selectedPods"], "1");
    auto v = plugin->explainConnection("10.0.9.9", "x/a", 80, "tcp");
    EXPECT_EQ(v["sourcePod"], "x/b");
    EXPECT_EQ(v["verdict"], "allowed");
    EXPECT_EQ(plugin->explainConnection("10.0.7.7", "x/a", 80, "tcp")["verdict"], "denied");

    // A later pod change (relabel) takes it out of the set.
    deliver({put("objects/Pod/x/b", podJson("x", "b", "c", "10.0.9.9"))});
    EXPECT_FALSE(selected("10.0.9.9"));
    EXPECT_EQ(plugin->explainConnection("10.0.9.9", "x/a", 80, "tcp")["verdict"], "denied");
    // And its deletion removes it.
    deliver({del("objects/Pod/x/b")});
    EXPECT_EQ(pod("x", "b"), nullptr);
}

TEST_F(ClusterTest, LocalObjectWinsOverTheStoreOnTheSameKey) {
    start();
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.2"));
    deliver({put("objects/Pod/x/a", podJson("x", "a", "other", "10.0.5.5"))});
    ASSERT_NE(pod("x", "a"), nullptr);
    EXPECT_EQ(pod("x", "a")->ips, std::vector<Address>{A("10.0.1.2")});
    EXPECT_EQ(row("Pod", "x", "a")["source"], "runtime");
}

TEST_F(ClusterTest, BadRecordsAreLoggedByKeyAndIgnored) {
    start();
    deliver({put("objects/Pod/x/b", podJson("x", "b", "b", "10.0.9.9"))}, true);
    ASSERT_NE(pod("x", "b"), nullptr);

    deliver({put("objects/Pod/x/b", "{not json")});
    EXPECT_TRUE(hasLog(*host, "cluster record objects/Pod/x/b:")) << host->logs.back();
    ASSERT_NE(pod("x", "b"), nullptr) << "the last good version stays";
    EXPECT_EQ(pod("x", "b")->ips, std::vector<Address>{A("10.0.9.9")});

    // A value naming another object, a bad field, a bad key: each ignored, named by key.
    deliver({put("objects/Pod/x/c", podJson("x", "d", "b", "10.0.9.8"))});
    EXPECT_TRUE(hasLog(*host, "cluster record objects/Pod/x/c: holds Pod x/d, not Pod x/c"));
    deliver({put("objects/Pod/x/e", podJson("x", "e", "b", "10.0.9.300"))});
    EXPECT_TRUE(hasLog(*host, "cluster record objects/Pod/x/e:"));
    deliver({put("objects/Pod/x", podJson("x", "f", "b", "10.0.9.7"))});
    EXPECT_TRUE(hasLog(*host, "cluster record objects/Pod/x: the key is not"));
    deliver({put("objects/Service/x/f", podJson("x", "f", "b", "10.0.9.7"))});
    EXPECT_TRUE(hasLog(*host, "cluster record objects/Service/x/f:"));
    EXPECT_EQ(plugin->objects().pods().size(), 1u);

    // In an initial batch (a relist), the bad record's last good version stays too.
    deliver({put("objects/Pod/x/b", "[]")}, true);
    ASSERT_NE(pod("x", "b"), nullptr);
}

TEST_F(ClusterTest, AddressClashRefusesTheLaterRecord) {
    start();
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.2"));
    deliver({put("objects/Pod/y/b", podJson("y", "b", "b", "10.0.9.9"))});
    deliver({put("objects/Pod/y/c", podJson("y", "c", "c", "10.0.9.9")),
             put("objects/Pod/y/d", podJson("y", "d", "d", "10.0.1.2"))});
    EXPECT_NE(pod("y", "b"), nullptr);
    EXPECT_EQ(pod("y", "c"), nullptr) << "the later of two store pods is refused";
    EXPECT_EQ(pod("y", "d"), nullptr) << "a local pod wins over a store pod";
    EXPECT_TRUE(hasLog(*host,
                       "objects/Pod/y/c refused: status.podIPs: 10.0.9.9 is also Pod "
                       "y/b's (objects/Pod/y/b)"));
    EXPECT_TRUE(hasLog(*host,
                       "objects/Pod/y/d refused: status.podIPs: 10.0.1.2 is also Pod "
                       "x/a's (objects/Pod/x/a)"));
    // A local Apply of an address a remote pod has is refused as any clash is.
    EXPECT_THROW(plugin->applyManifest(podJson("x", "z", "z", "10.0.9.9")), BusError);
    // Once the first owner goes, the refused one is in force.
    deliver({del("objects/Pod/y/b")});
    EXPECT_NE(pod("y", "c"), nullptr);
}

TEST_F(ClusterTest, DeleteRemovesTheRecord) {
    start();
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.2"));
    ASSERT_TRUE(host->records.count("objects/Pod/x/a"));
    EXPECT_EQ(plugin->deleteObject("pod", "x", "a").action, Change::Action::Deleted);
    EXPECT_FALSE(host->records.count("objects/Pod/x/a"));
    EXPECT_EQ(pod("x", "a"), nullptr);

    // Another node's object, deleted here: gone cluster-wide.
    host->records["objects/NetworkPolicy/x/allow-b"] = {kAllowB, RecordLifetime::Persistent};
    deliver({put("objects/NetworkPolicy/x/allow-b", kAllowB)});
    ASSERT_TRUE(hasChain("in_x/allow-b"));
    plugin->deleteObject("netpol", "x", "allow-b");
    EXPECT_FALSE(host->records.count("objects/NetworkPolicy/x/allow-b"));
    EXPECT_FALSE(hasChain("in_x/allow-b"));
    EXPECT_THROW(plugin->deleteObject("netpol", "x", "allow-b"), BusError);
}

TEST_F(ClusterTest, APolicyDeletedOnAnotherNodeIsLiftedHereToo) {
    start();
    plugin->applyManifest(kAllowB);
    const std::string key = "objects/NetworkPolicy/x/allow-b";
    deliver({put(key, host->records.at(key).first)});
    ASSERT_TRUE(hasChain("in_x/allow-b"));
    // Another node deletes it: the store's Delete reaches this node, which applied it.
    host->records.erase(key);
    deliver({del(key)});
    EXPECT_FALSE(hasChain("in_x/allow-b"));
    EXPECT_TRUE(row("NetworkPolicy", "x", "allow-b").empty());
    EXPECT_TRUE(hasLog(*host, "deleted cluster-wide on another node"));
    // Applied again, identical: written again (nothing remembers it as published).
    plugin->applyManifest(kAllowB);
    EXPECT_TRUE(host->records.count(key));
    // Gone from the runtime objects kept across restarts too.
    host->records.erase(key);
    deliver({del(key)});
    restart();
    EXPECT_FALSE(hasChain("in_x/allow-b"));
}

TEST_F(ClusterTest, APodRecordGoneWithTheLeaseStaysHere) {
    start();
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.2"));
    // This node's lease expired in a partition: the store says Delete; the pod is still ours.
    deliver({del("objects/Pod/x/a")});
    EXPECT_NE(pod("x", "a"), nullptr);
}

TEST_F(ClusterTest, DeletingARuntimeObjectBringsBackTheFileVersionInTheStore) {
    Config config;
    config.dataFiles.push_back(
        {"/etc/weft/weave-policy.d/a.json", podJson("x", "a", "a", "10.0.1.2")});
    start(config);
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.3"));
    EXPECT_NE(host->records.at("objects/Pod/x/a").first.find("10.0.1.3"), std::string::npos);
    plugin->deleteObject("pod", "x", "a");
    ASSERT_TRUE(host->records.count("objects/Pod/x/a"));
    EXPECT_NE(host->records.at("objects/Pod/x/a").first.find("10.0.1.2"), std::string::npos);
}

TEST_F(ClusterTest, DisconnectedKeepsWhatItSaw) {
    start();
    plugin->applyManifest(podJson("x", "a", "a", "10.0.1.2"));
    deliver({put("objects/NetworkPolicy/x/allow-b", kAllowB),
             put("objects/Pod/x/b", podJson("x", "b", "b", "10.0.9.9"))},
            true);
    auto records = host->records;
    host->setClusterState(ClusterState::Disconnected);
    EXPECT_NE(pod("x", "b"), nullptr);
    EXPECT_TRUE(selected("10.0.9.9"));
    EXPECT_TRUE(hasChain("in_x/allow-b"));
    EXPECT_EQ(host->records, records) << "nothing of ours is withdrawn";
    // Local changes go on while disconnected; the core writes them once the store answers.
    plugin->applyManifest(podJson("x", "c", "c", "10.0.1.4"));
    EXPECT_TRUE(host->records.count("objects/Pod/x/c"));
    host->setClusterState(ClusterState::Connected);
    EXPECT_NE(pod("x", "b"), nullptr);
}

TEST_F(ClusterTest, CacheRestoresTheStoreObjectsAfterARestart) {
    start();
    deliver({put("objects/Pod/x/b", podJson("x", "b", "b", "10.0.9.9")),
             put("objects/NetworkPolicy/x/allow-b", kAllowB)},
            true);
    ASSERT_TRUE(fs::exists(dir / "run" / "cluster-objects.json"));

    // weftd restarts while etcd is unreachable: what it last saw is in force.
    host->storeState = ClusterState::Disconnected;
    restart();
    ASSERT_NE(pod("x", "b"), nullptr);
    EXPECT_EQ(row("Pod", "x", "b")["source"], "cluster");
    EXPECT_TRUE(hasChain("in_x/allow-b"));

    // The first batch once the store answers replaces the cache: the pod has gone since.
    host->setClusterState(ClusterState::Connected);
    deliver({put("objects/NetworkPolicy/x/allow-b", kAllowB)}, true);
    EXPECT_EQ(pod("x", "b"), nullptr);
    EXPECT_TRUE(hasChain("in_x/allow-b"));
    restart();
    EXPECT_EQ(pod("x", "b"), nullptr);
    EXPECT_TRUE(hasChain("in_x/allow-b"));

    // Standalone again: the cache of a clustered run is not in force.
    host->storeState = ClusterState::Standalone;
    restart();
    EXPECT_TRUE(plugin->objects().policies().empty());
}

TEST_F(ClusterTest, CorruptCacheIsLoggedAndNotUsed) {
    fs::create_directories(dir / "run");
    {
        std::ofstream out(dir / "run" / "cluster-objects.json");
        out << "{\"records\": [";
    }
    host->storeState = ClusterState::Disconnected;
    start();
    EXPECT_TRUE(hasLog(*host, "cluster-objects.json"));
    EXPECT_TRUE(plugin->objects().pods().empty());
}

}  // namespace
}  // namespace weft::weave
