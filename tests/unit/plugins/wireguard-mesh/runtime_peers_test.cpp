// Runtime peers over D-Bus: AddPeer / UpdatePeer / RemovePeer, every error, persistence in
// peers.json across a new plugin instance, and the config file winning on reload.
#include <gmock/gmock.h>

#include "mesh_fixture.hpp"
#include "peer_store.hpp"

namespace weft::mesh::test {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using Strings = std::vector<std::string>;

class RuntimePeers : public MeshTest {
  protected:
    void SetUp() override {
        MeshTest::SetUp();
        text = "[Mesh]\n[Peer b]\nPublicKey=" + kb + "\nAllowedIPs=10.244.2.0/24\n";
        start(text);
    }
    std::vector<BusValue> args(std::string name, std::string key, Strings endpoints, Strings ips,
                               uint32_t keepalive = 0) {
        return {name, key, endpoints, ips, keepalive};
    }
    std::vector<BusValue> peerD() {
        return args("d", kd, {"192.0.2.4:51820"}, {"10.244.4.0/24"}, 7);
    }
    /// Calls a method and returns "<error name>: <message>", or "" if it succeeded.
    std::string call(const std::string& method, const std::vector<BusValue>& a) {
        try {
            host->busObject.call(method, a);
            return "";
        } catch (const BusError& e) {
            return e.name() + ": " + e.what();
        }
    }
    fs::path peersFile() { return dir / "run" / "peers.json"; }

    std::string kb = newPublicKey(), kd = newPublicKey();
    std::string text;
};

TEST_F(RuntimePeers, MembersAreRegisteredAsPrivilegedWithTheirSignatures) {
    auto& m = host->busObject.methods;
    for (const char* name : {"AddPeer", "UpdatePeer", "RemovePeer"}) {
        ASSERT_TRUE(m.count(name)) << name;
        EXPECT_TRUE(m.at(name).changesState) << name;
        EXPECT_TRUE(m.at(name).out.empty());
    }
    std::string sig;
    for (auto& a : m.at("AddPeer").in)
        sig += a.signature;
    EXPECT_EQ(sig, "ssasasu");
    EXPECT_EQ(m.at("AddPeer").in[4].name, "persistentKeepaliveSeconds");
    EXPECT_EQ(m.at("RemovePeer").in.size(), 1u);
    EXPECT_EQ(host->busObject.properties.at("PublicKey").first, "s");
    EXPECT_EQ(host->busObject.properties.at("ListenPort").first, "u");
    EXPECT_EQ(host->busObject.properties.at("Interface").first, "s");
    EXPECT_EQ(host->busObject.properties.at("Peers").first, "aa{ss}");
    EXPECT_EQ(host->busObject.signals.at("PeerStateChanged").size(), 2u);
    EXPECT_EQ(std::get<std::string>(host->busObject.get("Interface")), "weft0");
}

TEST_F(RuntimePeers, AddPeerTakesEffectEverywhere) {
    unsigned reconciles = host->reconcileRequests;
    host->busObject.changed.clear();
    ASSERT_EQ(call("AddPeer", peerD()), "");
    const WireguardPeer* d = desiredPeer(kd);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->endpoint, E("192.0.2.4:51820"));
    EXPECT_EQ(d->allowedIps, std::vector<Prefix>{P("10.244.4.0/24")});
    EXPECT_EQ(d->persistentKeepalive, std::chrono::seconds(7));
    EXPECT_TRUE(targets().contains(P("10.244.4.0/24")));
    EXPECT_TRUE(targets().contains(P("10.244.2.0/24")));
    EXPECT_EQ(host->reconcileRequests, reconciles + 1);
    EXPECT_THAT(host->busObject.changed, Contains("Peers"));
    auto r = row("d");
    EXPECT_EQ(r.at("source"), "runtime");
    EXPECT_EQ(r.at("publicKey"), kd);
    EXPECT_EQ(r.at("endpoint"), "192.0.2.4:51820");
    EXPECT_EQ(r.at("allowedIPs"), "10.244.4.0/24");
    EXPECT_EQ(r.at("state"), "unknown");
    EXPECT_EQ(row("b").at("source"), "config");
    EXPECT_THAT(readFile(peersFile()), HasSubstr(kd));
}

TEST_F(RuntimePeers, KeepaliveZeroMeansTheMeshDefault) {
    ASSERT_EQ(call("AddPeer", args("d", kd, {}, {}, 0)), "");
    EXPECT_EQ(desiredPeer(kd)->persistentKeepalive, std::chrono::seconds(25));
}

TEST_F(RuntimePeers, EveryBadArgumentIsRefusedByName) {
    ASSERT_EQ(call("AddPeer", peerD()), "");
    std::string own = plugin->publicKey();
    std::string fresh = newPublicKey();
    struct Case {
        std::string method;
        std::vector<BusValue> a;
        std::string expected;
    };
    std::vector<Case> cases{
        {"AddPeer", args("bad name!", fresh, {}, {}), "InvalidArgument: name: 'bad name!'"},
        {"AddPeer", args("", fresh, {}, {}), "InvalidArgument: name: ''"},
        {"AddPeer", args(std::string(65, 'x'), fresh, {}, {}), "InvalidArgument: name: "},
        {"AddPeer", args("e", "nope", {}, {}), "InvalidArgument: publicKey: not a WireGuard key"},
        {"AddPeer", args("e", fresh.substr(0, 43) + "!", {}, {}), "InvalidArgument: publicKey:"},
        {"AddPeer", args("e", own, {}, {}), "InvalidArgument: publicKey: that is this node's own"},
        {"AddPeer", args("e", kb, {}, {}), "InvalidArgument: publicKey: already used by peer b"},
        {"AddPeer", args("e", kd, {}, {}), "InvalidArgument: publicKey: already used by peer d"},
        {"AddPeer", args("e", fresh, {"192.0.2.1"}, {}), "InvalidArgument: endpoints: '192.0.2.1'"},
        {"AddPeer", args("e", fresh, {"[2001:db8::1]51820"}, {}), "InvalidArgument: endpoints:"},
        {"AddPeer", args("e", fresh, {"host.example:51820"}, {}), "InvalidArgument: endpoints:"},
        {"AddPeer", args("e", fresh, {}, {"banana"}), "InvalidArgument: allowedIps: 'banana'"},
        {"AddPeer", args("e", fresh, {}, {"10.0.0.1/8"}),
         "InvalidArgument: allowedIps: '10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?"},
        {"AddPeer", args("e", fresh, {}, {"10.244.2.0/24"}),
         "InvalidArgument: allowedIps: 10.244.2.0/24 is already routed to peer b"},
        {"AddPeer", args("e", fresh, {}, {}, 70000),
         "InvalidArgument: persistentKeepaliveSeconds: at most 65535"},
        {"AddPeer", args("b", fresh, {}, {}),
         "InvalidArgument: name: peer b comes from wireguard-mesh.conf"},
        {"AddPeer", args("d", fresh, {}, {}),
         "InvalidArgument: name: peer d exists; use UpdatePeer"},
        {"AddPeer",
         {std::string("e"), uint32_t(1), Strings{}, Strings{}, uint32_t(0)},
         "InvalidArgument: publicKey: missing or of the wrong type"},
        {"AddPeer", {std::string("e")}, "InvalidArgument: publicKey: missing"},
        {"UpdatePeer", args("nope", fresh, {}, {}), "NotFound: name: no runtime peer nope"},
        {"UpdatePeer", args("b", kb, {}, {}),
         "InvalidArgument: name: peer b comes from wireguard-mesh.conf; edit the file"},
        {"UpdatePeer", args("d", kb, {}, {}), "InvalidArgument: publicKey: already used by peer b"},
        {"UpdatePeer", args("d", "nope", {}, {}), "InvalidArgument: publicKey: not a WireGuard"},
        {"RemovePeer", {std::string("nope")}, "NotFound: name: no runtime peer nope"},
        {"RemovePeer",
         {std::string("b")},
         "InvalidArgument: name: peer b comes from wireguard-mesh.conf"},
        {"RemovePeer", {}, "InvalidArgument: name: missing"},
    };
    std::string stored = readFile(peersFile());
    DesiredState before = plugin->desiredState();
    unsigned reconciles = host->reconcileRequests;
    for (auto& c : cases) {
        std::string got = call(c.method, c.a);
        EXPECT_EQ(got.substr(0, c.expected.size()), c.expected) << c.method << " -> " << got;
    }
    EXPECT_EQ(readFile(peersFile()), stored) << "refused calls change nothing";
    EXPECT_EQ(plugin->desiredState(), before);
    EXPECT_EQ(host->reconcileRequests, reconciles);
}

// Issue 15 item 13: an error echoed a whole 1 MB argument back onto the bus.
TEST_F(RuntimePeers, HugeArgumentsAreClippedInErrors) {
    std::string huge = std::string(199, 'a') + "\u00e9" + std::string(1 << 20, 'x');
    std::string clip = std::string(199, 'a') + "\u2026 (" + std::to_string(huge.size()) + " bytes)";
    std::string fresh = newPublicKey();
    for (auto& [method, a, expected] :
         std::vector<std::tuple<std::string, std::vector<BusValue>, std::string>>{
             {"AddPeer", args(huge, fresh, {}, {}), "InvalidArgument: name: '" + clip + "'"},
             {"AddPeer", args("e", fresh, {huge}, {}),
              "InvalidArgument: endpoints: '" + clip + "'"},
             {"AddPeer", args("e", fresh, {}, {huge}),
              "InvalidArgument: allowedIps: '" + clip + "'"},
             {"RemovePeer", {huge}, "NotFound: name: no runtime peer " + clip}}) {
        std::string got = call(method, a);
        EXPECT_LT(got.size(), 400u) << method;
        EXPECT_EQ(got.substr(0, expected.size()), expected) << method;
    }
}

TEST_F(RuntimePeers, UpdatePeerReplacesItAndRestartsHealthOnANewKey) {
    ASSERT_EQ(call("AddPeer", peerD()), "");
    status(kd)->lastHandshake = unixNow();
    tick();
    EXPECT_EQ(row("d").at("state"), "up");

    // Same key and candidates: health carries over.
    ASSERT_EQ(call("UpdatePeer", args("d", kd, {"192.0.2.4:51820"}, {"10.244.44.0/24"})), "");
    EXPECT_EQ(row("d").at("state"), "up");
    EXPECT_FALSE(targets().contains(P("10.244.4.0/24")));
    EXPECT_TRUE(targets().contains(P("10.244.44.0/24")));

    std::string newKey = newPublicKey();
    ASSERT_EQ(call("UpdatePeer", args("d", newKey, {"192.0.2.40:51820"}, {"10.244.4.0/24"})), "");
    EXPECT_EQ(desiredPeer(kd), nullptr);
    ASSERT_NE(desiredPeer(newKey), nullptr);
    EXPECT_EQ(desiredPeer(newKey)->endpoint, E("192.0.2.40:51820"));
    EXPECT_EQ(row("d").at("state"), "unknown") << "a new key is a new session";
    EXPECT_EQ(row("d").at("lastHandshake"), "0");
}

TEST_F(RuntimePeers, RemovePeerTakesItOutEverywhere) {
    ASSERT_EQ(call("AddPeer", peerD()), "");
    unsigned reconciles = host->reconcileRequests;
    ASSERT_EQ(call("RemovePeer", {std::string("d")}), "");
    EXPECT_EQ(desiredPeer(kd), nullptr);
    EXPECT_FALSE(targets().contains(P("10.244.4.0/24")));
    EXPECT_EQ(rows().size(), 1u);
    EXPECT_EQ(host->reconcileRequests, reconciles + 1);
    EXPECT_THAT(readFile(peersFile()), ::testing::Not(HasSubstr(kd)));
    EXPECT_EQ(call("AddPeer", peerD()), "") << "the name and key are free again";
}

TEST_F(RuntimePeers, PeersSurviveANewPluginInstance) {
    ASSERT_EQ(call("AddPeer", peerD()), "");
    std::string ke = newPublicKey();
    ASSERT_EQ(call("AddPeer",
                   args("e", ke, {"[2001:db8::5]:51820", "192.0.2.5:51820"}, {"fd00:244:5::/64"})),
              "");
    start(text);  // weftd restarted
    EXPECT_EQ(row("d").at("source"), "runtime");
    EXPECT_EQ(row("e").at("endpoint"), "[2001:db8::5]:51820");
    ASSERT_NE(desiredPeer(kd), nullptr);
    EXPECT_EQ(desiredPeer(kd)->persistentKeepalive, std::chrono::seconds(7));
    ASSERT_NE(desiredPeer(ke), nullptr);
    EXPECT_TRUE(targets().contains(P("fd00:244:5::/64")));
    EXPECT_EQ(rows().size(), 3u);
}

TEST_F(RuntimePeers, ConfigWinsOverAClashingRuntimePeerOnReload) {
    ASSERT_EQ(call("AddPeer", peerD()), "");
    std::string ke = newPublicKey();
    ASSERT_EQ(call("AddPeer", args("e", ke, {}, {"10.244.5.0/24"})), "");
    // The operator makes d permanent in the file (same name, other key) and gives e's prefix
    // to a config peer.
    std::string kd2 = newPublicKey();
    reload(text + "[Peer d]\nPublicKey=" + kd2 +
           "\nAllowedIPs=10.244.4.0/24\n[Peer f]\nPublicKey=" + newPublicKey() +
           "\nAllowedIPs=10.244.5.0/24\n");
    EXPECT_EQ(row("d").at("source"), "config");
    EXPECT_EQ(row("d").at("publicKey"), kd2);
    EXPECT_EQ(rows().size(), 3u) << "b, d, f: e was dropped";
    EXPECT_EQ(desiredPeer(ke), nullptr);
    std::string stored = readFile(peersFile());
    EXPECT_THAT(stored, ::testing::Not(HasSubstr(kd)));
    EXPECT_THAT(stored, ::testing::Not(HasSubstr(ke)));
    EXPECT_TRUE(std::any_of(host->logs.begin(), host->logs.end(), [](auto& l) {
        return l.find("runtime peer e dropped: allowedIps: 10.244.5.0/24") != std::string::npos;
    }));
}

TEST_F(RuntimePeers, RuntimePeersTheConfigBeatsAtStartLeaveTheStore) {
    ASSERT_EQ(call("AddPeer", peerD()), "");
    std::string ke = newPublicKey();
    ASSERT_EQ(call("AddPeer", args("e", ke, {}, {"10.244.5.0/24"})), "");
    // weftd stopped; the operator gave e's prefix to a config peer; weftd starts again.
    start(text + "[Peer f]\nPublicKey=" + newPublicKey() + "\nAllowedIPs=10.244.5.0/24\n");
    EXPECT_EQ(rows().size(), 3u) << "b, f and d";
    EXPECT_EQ(desiredPeer(ke), nullptr);
    std::string stored = readFile(peersFile());
    EXPECT_THAT(stored, HasSubstr(kd));
    EXPECT_THAT(stored, ::testing::Not(HasSubstr(ke))) << "dropped from the store too";
    EXPECT_TRUE(std::any_of(host->logs.begin(), host->logs.end(), [](auto& l) {
        return l.find("runtime peer e dropped: allowedIps: 10.244.5.0/24") != std::string::npos;
    }));
    start(text);  // and it does not come back when the config peer goes
    EXPECT_EQ(desiredPeer(ke), nullptr);
}

TEST_F(RuntimePeers, StartingAPeerOverIsAnnounced) {
    ASSERT_EQ(call("AddPeer", peerD()), "");
    status(kd)->lastHandshake = unixNow();
    status(kb)->lastHandshake = unixNow();
    tick();
    ASSERT_THAT(stateSignals(), ::testing::UnorderedElementsAre("b=up", "d=up"));
    ASSERT_EQ(call("UpdatePeer", args("d", kd, {"192.0.2.44:51820"}, {"10.244.4.0/24"})), "");
    EXPECT_EQ(row("d").at("state"), "unknown");
    EXPECT_EQ(stateSignals().back(), "d=unknown") << "new endpoints";
    tick();
    EXPECT_EQ(stateSignals().back(), "d=up") << "the kernel still shows a fresh handshake";

    std::string kd2 = newPublicKey();
    ASSERT_EQ(call("UpdatePeer", args("d", kd2, {"192.0.2.44:51820"}, {"10.244.4.0/24"})), "");
    EXPECT_EQ(stateSignals().back(), "d=unknown") << "a new key";

    host->busObject.changed.clear();
    std::string kb2 = newPublicKey();
    reload("[Mesh]\n[Peer b]\nPublicKey=" + kb2 + "\nAllowedIPs=10.244.2.0/24\n");
    EXPECT_EQ(row("b").at("state"), "unknown");
    EXPECT_EQ(stateSignals().back(), "b=unknown") << "a new key from the config file";
    EXPECT_THAT(host->busObject.changed, Contains("Peers"));
    size_t count = stateSignals().size();
    reload("[Mesh]\n[Peer b]\nPublicKey=" + kb2 + "\nAllowedIPs=10.244.2.0/24\n");
    ASSERT_EQ(call("RemovePeer", {std::string("d")}), "");
    EXPECT_EQ(stateSignals().size(), count) << "no news: no signal";
}

TEST_F(RuntimePeers, AFailedWriteChangesNothing) {
    fs::create_directories(peersFile());  // rename() cannot replace a directory
    std::string got = call("AddPeer", peerD());
    EXPECT_THAT(got, HasSubstr("Failed: cannot store runtime peers"));
    EXPECT_EQ(desiredPeer(kd), nullptr);
    EXPECT_EQ(rows().size(), 1u);
}

TEST_F(MeshTest, BrokenPeersFileIsSetAsideAndBadEntriesAreSkipped) {
    std::string kd = newPublicKey();
    fs::create_directories(dir / "run");
    writeFile(dir / "run" / "peers.json", "[{\"name\": \"d\",");
    start("[Mesh]\n");
    EXPECT_TRUE(rows().empty());
    EXPECT_TRUE(fs::exists(dir / "run" / "peers.json.corrupt"));
    EXPECT_FALSE(fs::exists(dir / "run" / "peers.json"));

    std::string good = serializePeers({runtimePeer({"d", kd, {"192.0.2.4:51820"}, {}, 3})});
    good = good.substr(good.find('{'), good.rfind('}') - good.find('{') + 1);
    writeFile(dir / "run" / "peers.json",
              "[" + good + ", {\"name\": \"x\", \"publicKey\": \"not-a-key\"}, 5]");
    start("[Mesh]\n");
    ASSERT_EQ(rows().size(), 1u);
    EXPECT_EQ(row("d").at("endpoint"), "192.0.2.4:51820");
    EXPECT_EQ(std::count_if(host->logs.begin(), host->logs.end(),
                            [](auto& l) { return l.find("skipped") != std::string::npos; }),
              2);
}

TEST(MeshPeerStore, RoundTripsEveryField) {
    std::string k = newPublicKey();
    PeerSpec p = runtimePeer({"d", k, {"[2001:db8::4]:51820"}, {"10.244.4.0/24"}, 9});
    std::vector<std::string> problems;
    auto back = parsePeers(serializePeers({p}), problems);
    EXPECT_TRUE(problems.empty());
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].name, "d");
    EXPECT_EQ(back[0].publicKey, k);
    EXPECT_EQ(back[0].endpoints, p.endpoints);
    EXPECT_EQ(back[0].allowedIps, p.allowedIps);
    EXPECT_EQ(back[0].keepalive, p.keepalive);
    EXPECT_EQ(back[0].source, PeerSource::Runtime);
    EXPECT_THROW(parsePeers("{}", problems), std::runtime_error);
    EXPECT_THROW(parsePeers("[{\"name\": \"d\",", problems), std::runtime_error);
}

TEST(MeshPeerStore, SkipsBadEntriesNamingEach) {
    std::string k = newPublicKey();
    std::vector<std::string> problems;
    auto peers = parsePeers(R"([
        {"publicKey": ")" + k + R"("},
        {"name": "e", "publicKey": ")" +
                                k + R"(", "endpoints": "192.0.2.5:51820"},
        {"name": "f", "publicKey": ")" +
                                k + R"(", "persistentKeepalive": 70000},
        {"name": "g", "publicKey": ")" +
                                k + R"(", "allowedIps": [5]},
        {"name": "h", "publicKey": ")" +
                                k + R"(", "keepalive": 25}
    ])",
                            problems);
    ASSERT_EQ(peers.size(), 1u);
    EXPECT_EQ(peers[0].name, "h");  // weft 0.1.0's spelling of the keepalive still reads
    EXPECT_EQ(peers[0].keepalive, std::chrono::seconds(25));
    ASSERT_EQ(problems.size(), 4u);
    EXPECT_THAT(problems[0], AllOf(HasSubstr("peer #0 skipped"), HasSubstr("name")));
    EXPECT_THAT(problems[1], AllOf(HasSubstr("peer #1 skipped"), HasSubstr("endpoints")));
    EXPECT_THAT(problems[2], AllOf(HasSubstr("peer #2 skipped"), HasSubstr("persistentKeepalive")));
    EXPECT_THAT(problems[3], HasSubstr("peer #3 skipped"));
}

}  // namespace
}  // namespace weft::mesh::test
