// wireguard-mesh: identity, desired state, targets, runtime peers, health and rotation.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config_loader.hpp"
#include "fake_host.hpp"
#include "mesh_plugin.hpp"
#include "weft/wireguard_key.hpp"

using namespace weft;
namespace fs = std::filesystem;

namespace {

struct Fixture : ::testing::Test {
    fs::path dir = fs::temp_directory_path() / ("weft-unit-mesh-" + std::to_string(getpid()));
    std::chrono::system_clock::time_point now =
        std::chrono::system_clock::time_point(std::chrono::seconds(1000000));
    std::string k2 = *wg::publicKeyFor(wg::generatePrivateKey());
    std::string k3 = *wg::publicKeyFor(wg::generatePrivateKey());
    void TearDown() override { fs::remove_all(dir); }

    std::unique_ptr<mesh::MeshPlugin> start(test::FakeHost& host, const std::string& extra = "") {
        auto p = std::make_unique<mesh::MeshPlugin>([this] { return now; });
        auto c = config::parseText(
            "[Mesh]\nAddress=10.99.0.1/24\nPeerDownAfter=10s\nEndpointTimeout=5s\n" + extra +
                "[Peer b]\nPublicKey=" + k2 +
                "\nEndpoint=192.0.2.99:51820\nEndpoint=192.0.2.12:51820\n"
                "AllowedIPs=10.244.2.0/24\n[Peer c]\nPublicKey=" +
                k3 + "\nAllowedIPs=10.244.3.0/24\n",
            "wireguard-mesh.conf", p->schema());
        p->validate(c);
        p->configure(c);
        p->start(host);
        return p;
    }
    int64_t secs() const {
        return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    }
};

}  // namespace

TEST_F(Fixture, IdentityIsCreatedOnceAndKeptSecret) {
    test::FakeHost host("wireguard-mesh", dir);
    auto p = start(host);
    auto file = dir / "state" / "private.key";
    struct stat st {};
    ASSERT_EQ(stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto key = p->publicKey();
    auto again = start(host);
    EXPECT_EQ(again->publicKey(), key);
    std::string priv;
    std::getline(std::ifstream(file), priv);
    EXPECT_EQ(p->describe().find(priv), std::string::npos);
    std::ofstream(file) << "garbage\n";
    EXPECT_THROW(start(host), std::runtime_error)
        << "a corrupt key is an error, never a new identity";
}

TEST_F(Fixture, DesiredStateAndTargets) {
    test::FakeHost host("wireguard-mesh", dir);
    auto p = start(host);
    auto d = p->desiredState();
    ASSERT_EQ(d.wireguard.size(), 1u);
    auto& link = d.wireguard[0];
    EXPECT_EQ(link.name, "weft0");
    EXPECT_EQ(link.listenPort, 51820);
    EXPECT_EQ(link.fwmark, 0x51820u);
    EXPECT_EQ(link.peers.size(), 2u);
    EXPECT_EQ(link.peers[0].endpoint->str(), "192.0.2.99:51820");
    EXPECT_EQ(link.peers[0].persistentKeepalive, std::chrono::seconds(25));
    EXPECT_EQ(d.tables.at(0).name, "weft_wireguard_mesh");
    EXPECT_EQ(host.sets["wireguard-mesh/targets"], (PrefixSet{*Prefix::parse("10.244.2.0/23")}));
}

TEST_F(Fixture, RotatesEndpointsAndTracksHealth) {
    test::FakeHost host("wireguard-mesh", dir);
    auto p = start(host, "AllowDownPeerBypass=yes\n");
    host.wgStatus["weft0"] = {{k2, std::nullopt, 0, 0, 0}, {k3, std::nullopt, 0, 0, 0}};
    p->tick();
    now += std::chrono::seconds(6);
    p->tick();  // no handshake within EndpointTimeout: next candidate
    EXPECT_EQ(p->desiredState().wireguard[0].peers[0].endpoint->str(), "192.0.2.12:51820");
    host.wgStatus["weft0"][0].lastHandshake = secs();
    p->tick();
    now += std::chrono::seconds(6);
    p->tick();
    EXPECT_EQ(p->desiredState().wireguard[0].peers[0].endpoint->str(), "192.0.2.12:51820")
        << "stays on one that works";
    auto rows =
        std::get<std::vector<std::map<std::string, std::string>>>(host.busObject.get("Peers"));
    EXPECT_EQ(rows[0].at("state"), "up");
    now += std::chrono::seconds(20);  // c never answered, b's handshake is old
    p->tick();
    bool sawDown = false;
    for (auto& [name, args] : host.busObject.emitted) {
        if (name == "PeerStateChanged" && std::get<std::string>(args[1]) == "down")
            sawDown = true;
    }
    EXPECT_TRUE(sawDown);
    EXPECT_TRUE(host.sets["wireguard-mesh/targets"].empty())
        << "down peers leave the set with bypass";
}

TEST_F(Fixture, RuntimePeersAreValidatedAndPersisted) {
    test::FakeHost host("wireguard-mesh", dir);
    auto p = start(host);
    auto k4 = *wg::publicKeyFor(wg::generatePrivateKey());
    std::vector<BusValue> good{std::string("d"), k4, std::vector<std::string>{"192.0.2.14:51820"},
                               std::vector<std::string>{"10.244.4.0/24"}, uint32_t(5)};
    host.busObject.call("AddPeer", good);
    auto bad = good;
    bad[1] = std::string("nope");
    try {
        host.busObject.call("AddPeer", bad);
        FAIL();
    } catch (const BusError& e) {
        EXPECT_EQ(e.name(), "InvalidArgument");
        EXPECT_NE(std::string(e.what()).find("publicKey"), std::string::npos);
    }
    EXPECT_THROW(host.busObject.call("RemovePeer", {std::string("b")}), BusError)
        << "config peers stay";
    auto again = start(host);
    EXPECT_EQ(again->desiredState().wireguard[0].peers.size(), 3u) << "runtime peers persist";
    EXPECT_TRUE(host.sets["wireguard-mesh/targets"].contains(*Prefix::parse("10.244.4.0/24")));
}
