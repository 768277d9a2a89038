// [Discovery] Etcd=yes against FakeHost's in-memory cluster store: what this node publishes,
// other nodes' records becoming peers (and bad ones not), config and runtime peers winning,
// key changes, the grace period after a delete, outages, and the cache across a restart.
#include <gmock/gmock.h>

#include "discovery_record.hpp"
#include "mesh_fixture.hpp"

namespace weft::mesh::test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Strings = std::vector<std::string>;
using Type = ClusterEvent::Type;
using namespace std::chrono_literals;

class DiscoveryTest : public MeshTest {
  protected:
    void SetUp() override {
        MeshTest::SetUp();
        prepareHost = [this](MeshHost& h) {
            h.storeState = ClusterState::Connected;
            h.linkList = links;
        };
    }

    /// A record as another node publishes it.
    static std::string record(const std::string& name, const std::string& key,
                              Strings endpoints = {}, Strings addresses = {},
                              Strings advertised = {}) {
        Json j = Json::object();
        j["version"] = 1;
        j["name"] = name;
        j["publicKey"] = key;
        j["listenPort"] = 51820;
        j["endpoints"] = endpoints;
        j["addresses"] = addresses;
        j["advertised"] = advertised;
        return j.dump();
    }
    std::string recordB(const std::string& key) {
        return record("b", key, {"192.0.2.2:51820"}, {"10.99.0.2/24"}, {"10.244.2.0/24"});
    }
    void deliver(std::vector<ClusterEvent> events, bool initial = false) {
        host->deliverCluster(ClusterBatch{initial, std::move(events)});
    }
    void put(const std::string& name, const std::string& value, bool initial = false) {
        deliver({{Type::Put, "nodes/" + name, value}}, initial);
    }
    void del(const std::string& name) { deliver({{Type::Delete, "nodes/" + name, ""}}); }
    /// Log lines containing `text`.
    size_t logged(const std::string& text) {
        return std::count_if(host->logs.begin(), host->logs.end(), [&](const std::string& l) {
            return l.find(text) != std::string::npos;
        });
    }
    bool hasPeer(const std::string& name) {
        for (auto& r : rows())
            if (r.at("name") == name)
                return true;
        return false;
    }
    std::string published() { return host->records.at("nodes/node-a").first; }

    std::string text =
        "[Mesh]\nAddress=10.99.0.1/24\nAdvertisedPrefixes=10.244.1.0/24\n"
        "PeerDownAfter=10s\n[Discovery]\nEtcd=yes\n";
    std::vector<LinkInfo> links{
        LinkInfo{1, "lo", true, 65536, {*InterfaceAddress::parse("127.0.0.1/8")}},
        LinkInfo{
            2,
            "eth0",
            true,
            1500,
            {*InterfaceAddress::parse("192.0.2.1/24"), *InterfaceAddress::parse("fe80::1/64")}},
        LinkInfo{3, "weft0", true, 1420, {*InterfaceAddress::parse("10.99.0.1/24")}}};
    std::string kb = newPublicKey(), kc = newPublicKey();
};

TEST_F(DiscoveryTest, PublishesThisNodeUnderItsLeaseWithoutThePrivateKey) {
    start(text);
    ASSERT_TRUE(host->records.count("nodes/node-a"));
    EXPECT_EQ(host->records.at("nodes/node-a").second, RecordLifetime::Node);
    EXPECT_EQ(published(), R"({"version":1,"name":"node-a","publicKey":")" + plugin->publicKey() +
                               R"(","listenPort":51820,"endpoints":["192.0.2.1:51820"],)"
                               R"("addresses":["10.99.0.1/24"],"advertised":["10.244.1.0/24"]})");
    std::string privateKey = readFile(dir / "state" / "private.key");
    while (!privateKey.empty() && privateKey.back() == '\n')
        privateKey.pop_back();
    ASSERT_EQ(privateKey.size(), 44u);
    EXPECT_THAT(published(), Not(HasSubstr(privateKey)));
    EXPECT_THAT(plugin->describe(), Not(HasSubstr(privateKey)));
    EXPECT_THAT(plugin->describe(), HasSubstr(R"("published":{"version":1,"name":"node-a")"));
    ASSERT_EQ(host->watches.size(), 1u);
    EXPECT_EQ(host->watches.begin()->second.first, "nodes/");
}

TEST_F(DiscoveryTest, RepublishesWhenLinksOrSettingsChange) {
    start(text);
    auto withAddress = links;
    withAddress[1].addresses.push_back(*InterfaceAddress::parse("2001:db8::1/64"));
    host->setLinks(withAddress);
    EXPECT_THAT(published(), HasSubstr(R"("endpoints":["192.0.2.1:51820","[2001:db8::1]:51820"])"));
    reload("[Mesh]\nListenPort=4000\nAddress=10.99.0.1/24\n[Discovery]\nEtcd=yes\n");
    EXPECT_THAT(published(), HasSubstr(R"("listenPort":4000,"endpoints":["192.0.2.1:4000",)"));
    EXPECT_THAT(published(), HasSubstr(R"("advertised":[])"));
    reload(
        "[Mesh]\nAddress=10.99.0.1/24\n[Discovery]\nEtcd=yes\n"
        "Endpoints=198.51.100.1:51820 [2001:db8::9]:51820\n");
    EXPECT_THAT(published(),
                HasSubstr(R"("endpoints":["198.51.100.1:51820","[2001:db8::9]:51820"])"));
    // Switched off: the record is withdrawn and the watch ends.
    reload("[Mesh]\nAddress=10.99.0.1/24\n");
    EXPECT_FALSE(host->records.count("nodes/node-a"));
    EXPECT_TRUE(host->watches.empty());
}

TEST_F(DiscoveryTest, StandaloneHostWarnsOnceAndDoesNothing) {
    prepareHost = nullptr;  // Standalone
    start(text);
    reload(text);
    host->setLinks(links);
    EXPECT_TRUE(host->records.empty());
    EXPECT_TRUE(host->watches.empty());
    EXPECT_EQ(logged("no [Cluster] Backend="), 1u);
    EXPECT_FALSE(fs::exists(dir / "run" / "discovered.json"));
}

TEST_F(DiscoveryTest, OffByDefault) {
    start("[Mesh]\n");
    EXPECT_TRUE(host->records.empty());
    EXPECT_TRUE(host->watches.empty());
}

TEST_F(DiscoveryTest, OtherNodesBecomePeers) {
    start(text);
    unsigned reconciles = host->reconcileRequests;
    deliver({{Type::Put, "nodes/b", recordB(kb)},
             {Type::Put, "nodes/c", record("c", kc, {"[2001:db8::3]:51820"}, {"fd00:99::3/64"})}},
            true);
    EXPECT_GT(host->reconcileRequests, reconciles);
    auto b = row("b");
    EXPECT_EQ(b.at("source"), "discovery");
    EXPECT_EQ(b.at("publicKey"), kb);
    EXPECT_EQ(b.at("allowedIPs"), "10.99.0.2/32 10.244.2.0/24");
    EXPECT_EQ(b.at("endpoint"), "192.0.2.2:51820");
    EXPECT_EQ(row("c").at("allowedIPs"), "fd00:99::3/128");
    const WireguardPeer* p = desiredPeer(kc);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->endpoint, E("[2001:db8::3]:51820"));
    EXPECT_TRUE(targets().contains(P("10.244.2.0/24")));
    EXPECT_TRUE(targets().contains(P("fd00:99::3/128")));
    EXPECT_THAT(host->busObject.changed, Contains("Peers"));
    EXPECT_THAT(plugin->describe(), HasSubstr(R"("source":"discovery")"));
    // Discovered peers are not runtime peers: never in peers.json.
    EXPECT_FALSE(fs::exists(dir / "run" / "peers.json"));
}

TEST_F(DiscoveryTest, OwnRecordAndOwnKeyAreSkipped) {
    start(text);
    deliver({{Type::Put, "nodes/node-a", record("node-a", kc)},
             {Type::Put, "nodes/x", record("x", plugin->publicKey(), {}, {"10.99.0.9/24"})},
             {Type::Put, "nodes/b", recordB(kb)}},
            true);
    EXPECT_THAT(rows(), testing::SizeIs(1));
    EXPECT_TRUE(hasPeer("b"));
    EXPECT_EQ(logged("nodes/x: ignored: publicKey: that is this node's own public key"), 1u);
    put("x", record("x", plugin->publicKey(), {}, {"10.99.0.9/24"}));  // the same again
    EXPECT_EQ(logged("nodes/x: ignored"), 1u);
    EXPECT_EQ(logged("nodes/node-a"), logged("published nodes/node-a: "));
}

TEST_F(DiscoveryTest, BadRecordsAreLoggedWithTheirKeyAndTheGoodVersionStays) {
    start(text);
    put("b", recordB(kb), true);
    unsigned reconciles = host->reconcileRequests;
    put("b", "{\"version\":1,");
    EXPECT_EQ(logged("nodes/b: not JSON: "), 1u);
    Json badKey = Json::parse(recordB(kc));
    badKey["publicKey"] = "bm90IGEga2V5";
    badKey["advertised"] = Json::array({"10.244.9.0/24"});  // never half-applied
    put("b", badKey.dump());
    EXPECT_EQ(logged("nodes/b: publicKey: not a WireGuard key"), 1u);
    put("b", record("c", kc));
    EXPECT_EQ(logged("nodes/b: name: 'c' is not the key's node name 'b'"), 1u);
    put("b", record("b", kc, {"192.0.2.2"}));
    EXPECT_EQ(logged("nodes/b: endpoints: '192.0.2.2' is not an endpoint"), 1u);
    EXPECT_EQ(logged("(its last good version stays)"), 4u);
    auto b = row("b");
    EXPECT_EQ(b.at("publicKey"), kb);
    EXPECT_EQ(b.at("allowedIPs"), "10.99.0.2/32 10.244.2.0/24");
    EXPECT_FALSE(targets().contains(P("10.244.9.0/24")));
    EXPECT_EQ(host->reconcileRequests, reconciles);
    // A new node whose first record is bad is no peer at all.
    put("c", record("c", "AAAA"));
    EXPECT_EQ(logged("nodes/c: publicKey: "), 1u);
    EXPECT_FALSE(hasPeer("c"));
    deliver({{Type::Put, "nodes/c/d", record("d", kc)}});
    EXPECT_EQ(logged("nodes/c/d: not a node record key"), 1u);
}

TEST_F(DiscoveryTest, ConfigAndRuntimePeersWin) {
    std::string kd = newPublicKey();
    start(text + "[Peer b]\nPublicKey=" + kd + "\nAllowedIPs=10.244.20.0/24\n");
    deliver({{Type::Put, "nodes/b", recordB(kb)},
             {Type::Put, "nodes/c", record("c", kd)},
             {Type::Put, "nodes/e", record("e", newPublicKey(), {}, {}, {"10.244.20.0/24"})}},
            true);
    EXPECT_EQ(row("b").at("source"), "config");
    EXPECT_EQ(row("b").at("publicKey"), kd);
    EXPECT_FALSE(hasPeer("c"));
    EXPECT_FALSE(hasPeer("e"));
    EXPECT_EQ(logged("nodes/b: ignored: name: a config peer has this name"), 1u);
    EXPECT_EQ(logged("nodes/c: ignored: publicKey: already used by config peer b"), 1u);
    EXPECT_EQ(logged("nodes/e: ignored: allowedIps: 10.244.20.0/24 is already routed to config "
                     "peer b"),
              1u);
    // Once per record version: an unrelated change does not repeat it, a new version does.
    put("f", record("f", newPublicKey()));
    EXPECT_EQ(logged("nodes/b: ignored"), 1u);
    put("b", record("b", kb, {"192.0.2.22:51820"}));
    EXPECT_EQ(logged("nodes/b: ignored"), 2u);
    // The config peer goes: the discovered ones come in.
    reload(text);
    EXPECT_EQ(row("b").at("source"), "discovery");
    EXPECT_EQ(row("b").at("publicKey"), kb);
    EXPECT_TRUE(hasPeer("c"));
    EXPECT_TRUE(hasPeer("e"));

    // A runtime peer wins too; a discovered peer cannot be changed over D-Bus.
    try {
        host->busObject.call("RemovePeer", {std::string("c")});
        ADD_FAILURE() << "RemovePeer of a discovered peer succeeded";
    } catch (const BusError& e) {
        EXPECT_EQ(e.name(), "InvalidArgument");
        EXPECT_THAT(e.what(), HasSubstr("peer c was discovered"));
    }
    EXPECT_THROW(host->busObject.call("UpdatePeer", {std::string("c"), newPublicKey(), Strings{},
                                                     Strings{}, uint32_t(0)}),
                 BusError);
    host->busObject.call("AddPeer",
                         {std::string("e"), newPublicKey(), Strings{}, Strings{}, uint32_t(0)});
    EXPECT_EQ(row("e").at("source"), "runtime");
    EXPECT_EQ(logged("nodes/e: ignored: name: a runtime peer has this name"), 1u);
    auto saved = Json::parse(readFile(dir / "run" / "peers.json"));
    ASSERT_EQ(saved.size(), 1u);
    EXPECT_EQ(saved[0]["name"], "e");
    host->busObject.call("RemovePeer", {std::string("e")});
    EXPECT_EQ(row("e").at("source"), "discovery");
}

TEST_F(DiscoveryTest, ANewKeyUpdatesThePeerAtOnce) {
    start(text);
    put("b", recordB(kb), true);
    status(kb)->lastHandshake = unixNow();
    tick();
    EXPECT_EQ(row("b").at("state"), "up");
    unsigned reconciles = host->reconcileRequests;
    std::string fresh = newPublicKey();
    put("b", recordB(fresh));
    EXPECT_EQ(host->reconcileRequests, reconciles + 1);
    EXPECT_EQ(desiredPeer(kb), nullptr);
    ASSERT_NE(desiredPeer(fresh), nullptr);
    EXPECT_EQ(row("b").at("state"), "unknown");
    EXPECT_THAT(stateSignals(), Contains("b=unknown"));
    EXPECT_EQ(logged("nodes/b: node b has a new public key"), 1u);
}

TEST_F(DiscoveryTest, ADeletedNodeStaysForPeerDownAfterThenGoes) {
    start(text);
    put("b", recordB(kb), true);
    del("b");
    EXPECT_TRUE(hasPeer("b"));
    advance(9s);
    tick();
    EXPECT_TRUE(hasPeer("b"));
    EXPECT_NE(desiredPeer(kb), nullptr);
    unsigned reconciles = host->reconcileRequests;
    advance(1s);
    tick();
    EXPECT_FALSE(hasPeer("b"));
    EXPECT_EQ(desiredPeer(kb), nullptr);
    EXPECT_FALSE(targets().contains(P("10.244.2.0/24")));
    EXPECT_GT(host->reconcileRequests, reconciles);
    EXPECT_EQ(logged("nodes/b: gone for PeerDownAfter=; peer b removed"), 1u);
}

TEST_F(DiscoveryTest, APutWithinTheGracePeriodRevivesTheNode) {
    start(text);
    put("b", recordB(kb), true);
    del("b");
    advance(5s);
    tick();
    put("b", recordB(kb));
    EXPECT_EQ(logged("nodes/b: node b is back"), 1u);
    advance(60s);
    tick();
    EXPECT_TRUE(hasPeer("b"));
}

TEST_F(DiscoveryTest, AnOutageRunsNoPeerDown) {
    start(text);
    put("b", recordB(kb), true);
    put("c", record("c", kc), false);
    del("b");
    advance(2s);
    host->setClusterState(ClusterState::Disconnected);
    for (int i = 0; i < 60; ++i) {
        advance(60s);
        tick();
    }
    EXPECT_TRUE(hasPeer("b"));
    EXPECT_TRUE(hasPeer("c"));
    host->setClusterState(ClusterState::Connected);
    advance(1s);
    tick();
    EXPECT_TRUE(hasPeer("b"));  // 3 s of store time so far
    advance(7s);
    tick();
    EXPECT_FALSE(hasPeer("b"));
    EXPECT_TRUE(hasPeer("c"));
}

TEST_F(DiscoveryTest, TheCacheKeepsPeersAcrossARestart) {
    start(text);
    deliver({{Type::Put, "nodes/b", recordB(kb)}, {Type::Put, "nodes/c", record("c", kc)}}, true);
    ASSERT_TRUE(fs::exists(dir / "run" / "discovered.json"));
    EXPECT_THAT(readFile(dir / "run" / "discovered.json"), Not(HasSubstr(plugin->publicKey())));

    start(text);  // weftd restarted: a new plugin on a new host, the store not delivered yet
    EXPECT_EQ(row("b").at("source"), "discovery");
    EXPECT_EQ(row("c").at("publicKey"), kc);
    EXPECT_NE(desiredPeer(kb), nullptr);
    EXPECT_TRUE(targets().contains(P("10.244.2.0/24")));

    // The store's first batch replaces the cache; c, missing from it, gets the grace period.
    std::string fresh = newPublicKey();
    put("b", recordB(fresh), true);
    EXPECT_EQ(row("b").at("publicKey"), fresh);
    EXPECT_TRUE(hasPeer("c"));
    advance(10s);
    tick();
    EXPECT_FALSE(hasPeer("c"));

    start(text);
    EXPECT_EQ(row("b").at("publicKey"), fresh);
    EXPECT_FALSE(hasPeer("c"));
}

TEST_F(DiscoveryTest, ADamagedCacheIsOnlyLogged) {
    fs::create_directories(dir / "run");
    writeFile(dir / "run" / "discovered.json", "{nope");
    start(text);
    EXPECT_EQ(logged("discovered.json: "), 1u);
    EXPECT_THAT(rows(), IsEmpty());
    put("b", recordB(kb), true);
    EXPECT_TRUE(hasPeer("b"));
}

TEST_F(DiscoveryTest, EndpointFilterAppliesToDiscoveredEndpoints) {
    start("[Mesh]\nEndpointFilter=192.0.2.0/24\n[Discovery]\nEtcd=yes\n");
    put("b", record("b", kb, {"198.51.100.2:51820", "192.0.2.2:51820"}, {"10.99.0.2/24"}), true);
    EXPECT_EQ(row("b").at("endpoint"), "192.0.2.2:51820");
    EXPECT_EQ(desiredPeer(kb)->endpoint, E("192.0.2.2:51820"));
    EXPECT_EQ(logged("peer b: endpoint 198.51.100.2:51820 lies outside EndpointFilter="), 1u);
}

TEST_F(DiscoveryTest, AllowDownPeerBypassAppliesToDiscoveredPeers) {
    start("[Mesh]\nPeerDownAfter=5s\nAllowDownPeerBypass=yes\n[Discovery]\nEtcd=yes\n");
    put("b", recordB(kb), true);
    EXPECT_TRUE(targets().contains(P("10.244.2.0/24")));
    advance(6s);
    tick();
    EXPECT_EQ(row("b").at("state"), "down");
    EXPECT_FALSE(targets().contains(P("10.244.2.0/24")));
    EXPECT_TRUE(hasPeer("b"));  // down is not gone: its record is still in the store
}

TEST_F(DiscoveryTest, ConfigValidation) {
    // Types are the core's: parsing refuses them.
    EXPECT_THROW(parse("[Discovery]\nEtcd=maybe\n"), ConfigException);
    EXPECT_THROW(parse("[Discovery]\nEndpoints=192.0.2.1\n"), ConfigException);
    EXPECT_THROW(parse("[Discovery]\nEndpoints=192.0.2.1:0\n"), ConfigException);
    EXPECT_THAT(errorsOf("[Discovery]\nEtcd=yes\nEndpoints=192.0.2.1:51820\n"), IsEmpty());
}

TEST_F(DiscoveryTest, TheExampleIsValid) {
    std::string example =
        readFile(fs::path(WEFT_EXAMPLES_DIR) / "wireguard-mesh-discovery" / "wireguard-mesh.conf");
    ASSERT_THAT(example, HasSubstr("[Discovery]"));
    EXPECT_THAT(errorsOf(example), IsEmpty());
    start(example);
    EXPECT_THAT(published(), HasSubstr(R"("advertised":["10.244.1.0/24","192.0.2.11/32"])"));
}

}  // namespace
}  // namespace weft::mesh::test
