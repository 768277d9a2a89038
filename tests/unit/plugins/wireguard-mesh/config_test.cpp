// wireguard-mesh.conf: schema defaults, every key, and validation errors with file:line.
#include <gmock/gmock.h>

#include "mesh_fixture.hpp"

namespace weft::mesh::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using namespace std::chrono_literals;

TEST_F(MeshTest, DefaultsMatchTheDocumentation) {
    MeshSettings s = readSettings(parse("[Mesh]\n"));
    EXPECT_EQ(s.interface, "weft0");
    EXPECT_EQ(s.listenPort, 51820);
    EXPECT_EQ(s.firewallMark, 0x51820u);
    EXPECT_EQ(s.mtu, std::optional<unsigned>(1420));
    EXPECT_EQ(s.keepalive, 25s);
    EXPECT_EQ(s.peerDownAfter, 275s);
    EXPECT_EQ(s.endpointTimeout, 15s);
    EXPECT_FALSE(s.allowDownPeerBypass);
    EXPECT_EQ(s.backend, WireguardBackend::Auto);
    EXPECT_EQ(s.wireguardGo, "/usr/bin/wireguard-go");
    EXPECT_EQ(s.privateKeyFile, "");
    EXPECT_THAT(s.addresses, IsEmpty());
    EXPECT_THAT(s.peers, IsEmpty());
}

TEST_F(MeshTest, ReadsEveryKey) {
    std::string k = newPublicKey();
    fs::path psk = dir / "psk";
    writeFile(psk, wg::generatePrivateKey() + "\n");
    MeshSettings s = readSettings(
        parse("[Mesh]\nInterface=mesh1\nListenPort=4500\nFirewallMark=0x20\nMTU=auto\n"
              "Address=10.99.0.1/24\nAddress=fd00:99::1/64\nAdvertisedPrefixes=10.244.1.0/24\n"
              "PersistentKeepalive=10s\nEndpointFilter=192.0.2.0/24\nPeerDownAfter=1min\n"
              "EndpointTimeout=3s\nAllowDownPeerBypass=yes\nBackend=userspace\n"
              "WireguardGo=/opt/wg-go\n"
              "[Peer node-b]\nPublicKey=" +
              k + "\nPresharedKeyFile=" + psk.string() +
              "\nEndpoint=192.0.2.2:4500\nEndpoint=[2001:db8::2]:4500\nAllowedIPs=10.244.2.0/24\n"
              "PersistentKeepalive=5s\n"));
    EXPECT_EQ(s.interface, "mesh1");
    EXPECT_EQ(s.listenPort, 4500);
    EXPECT_EQ(s.firewallMark, 0x20u);
    EXPECT_EQ(s.mtu, std::nullopt);
    ASSERT_EQ(s.addresses.size(), 2u);
    EXPECT_EQ(s.addresses[0].str(), "10.99.0.1/24");
    EXPECT_EQ(s.addresses[1].str(), "fd00:99::1/64");
    EXPECT_EQ(s.advertised, std::vector<Prefix>{P("10.244.1.0/24")});
    EXPECT_EQ(s.keepalive, 10s);
    EXPECT_EQ(s.endpointFilter.include, std::vector<Prefix>{P("192.0.2.0/24")});
    EXPECT_TRUE(s.endpointFilter.exclude.empty());
    EXPECT_EQ(s.peerDownAfter, 60s);
    EXPECT_EQ(s.endpointTimeout, 3s);
    EXPECT_TRUE(s.allowDownPeerBypass);
    EXPECT_EQ(s.backend, WireguardBackend::Userspace);
    EXPECT_EQ(s.wireguardGo, "/opt/wg-go");
    ASSERT_EQ(s.peers.size(), 1u);
    const PeerSpec& p = s.peers[0];
    EXPECT_EQ(p.name, "node-b");
    EXPECT_EQ(p.publicKey, k);
    EXPECT_EQ(p.presharedKeyFile, psk.string());
    EXPECT_EQ(p.endpoints, (std::vector<Endpoint>{E("192.0.2.2:4500"), E("[2001:db8::2]:4500")}));
    EXPECT_EQ(p.allowedIps, std::vector<Prefix>{P("10.244.2.0/24")});
    EXPECT_EQ(p.keepalive, std::optional(5s));
    EXPECT_EQ(p.where.str(), "wireguard-mesh.conf:17");
}

TEST_F(MeshTest, ValidateReportsEverySemanticErrorWithFileAndLine) {
    std::string k = newPublicKey();
    auto errors = errorsOf(
        "[Mesh]\n"                           // 1
        "MTU=70000\n"                        // 2
        "Address=banana\n"                   // 3
        "Address=10.99.0.1/24\n"             // 4
        "Interface=averyveryverylongname\n"  // 5
        "FirewallMark=0x20/0x60\n"           // 6
        "PersistentKeepalive=1500ms\n"       // 7
        "[Peer b]\n"                         // 8
        "PublicKey=" +
        k +
        "\n"                                   // 9
        "PresharedKeyFile=/nonexistent/psk\n"  // 10
        "AllowedIPs=10.244.2.0/24\n"           // 11
        "[Peer c]\n"                           // 12
        "PublicKey=" +
        k +
        "\n"                                        // 13
        "AllowedIPs=10.244.3.0/24 10.244.2.0/24\n"  // 14
        "PersistentKeepalive=70000\n");             // 15
    EXPECT_THAT(errors, UnorderedElementsAre(
                            HasSubstr("wireguard-mesh.conf:5: [Mesh] Interface: "),
                            HasSubstr("wireguard-mesh.conf:6: [Mesh] FirewallMark: "),
                            HasSubstr("wireguard-mesh.conf:2: [Mesh] MTU: '70000'"),
                            HasSubstr("wireguard-mesh.conf:3: [Mesh] Address: 'banana'"),
                            HasSubstr("wireguard-mesh.conf:7: [Mesh] PersistentKeepalive: "),
                            HasSubstr("wireguard-mesh.conf:10: [Peer b] PresharedKeyFile: "
                                      "cannot open /nonexistent/psk"),
                            HasSubstr("wireguard-mesh.conf:15: [Peer c] PersistentKeepalive: "),
                            HasSubstr("wireguard-mesh.conf:13: [Peer c] PublicKey: this key is "
                                      "already used by peer b"),
                            HasSubstr("wireguard-mesh.conf:14: [Peer c] AllowedIPs: 10.244.2.0/24 "
                                      "is already routed to peer b")));
}

TEST_F(MeshTest, MtuTakesOnlyItsRangeOrAuto) {
    for (const char* bad : {"1279", "9001", "abc", "-1", "1420x", "99999999999"}) {
        auto errors = errorsOf(std::string("[Mesh]\nMTU=") + bad + "\n");
        EXPECT_THAT(errors, ElementsAre(HasSubstr(":2: [Mesh] MTU: "))) << bad;
    }
    for (const char* good : {"1280", "9000", "auto"})
        EXPECT_THAT(errorsOf(std::string("[Mesh]\nMTU=") + good + "\n"), IsEmpty()) << good;
}

// Issue 15 item 13: a bare address was taken as /32 and removed the connected route.
TEST_F(MeshTest, AddressNeedsAPrefixLength) {
    EXPECT_THAT(errorsOf("[Mesh]\nAddress=10.99.0.1/24\nAddress=10.99.0.1\nAddress=fd00:99::1\n"),
                ElementsAre(HasSubstr("wireguard-mesh.conf:3: [Mesh] Address: '10.99.0.1' is not "
                                      "an address with a prefix length"),
                            HasSubstr("wireguard-mesh.conf:4: [Mesh] Address: 'fd00:99::1'")));
    EXPECT_THAT(errorsOf("[Mesh]\nAddress=10.99.0.1/32\n"), IsEmpty()) << "/32 when written";
}

TEST_F(MeshTest, DurationsAreRangeChecked) {
    EXPECT_THAT(errorsOf("[Mesh]\nPeerDownAfter=0\nEndpointTimeout=0\n"),
                ElementsAre(HasSubstr(":2: [Mesh] PeerDownAfter: must be between 1s and 7d"),
                            HasSubstr(":3: [Mesh] EndpointTimeout: must be between 1s and 1h")));
    // Issue 15 item 10: 20000w overflowed the health clock and showed live peers down.
    EXPECT_THAT(errorsOf("[Mesh]\nPeerDownAfter=20000w\nEndpointTimeout=20000w\n"),
                ElementsAre(HasSubstr(":2: [Mesh] PeerDownAfter: must be between 1s and 7d"),
                            HasSubstr(":3: [Mesh] EndpointTimeout: must be between 1s and 1h")));
    EXPECT_THAT(errorsOf("[Mesh]\nPeerDownAfter=1w\nEndpointTimeout=1h\n"), IsEmpty());
}

TEST_F(MeshTest, PresharedKeyFileMustHoldAKey) {
    fs::path psk = dir / "psk";
    writeFile(psk, "not a key\n");
    auto errors = errorsOf("[Peer b]\nPublicKey=" + newPublicKey() +
                           "\nPresharedKeyFile=" + psk.string() + "\n");
    ASSERT_THAT(errors, ElementsAre(HasSubstr(":3: [Peer b] PresharedKeyFile: ")));
    EXPECT_THAT(errors[0], HasSubstr("does not hold a WireGuard key"));
    EXPECT_THAT(errors[0], ::testing::Not(HasSubstr("not a key"))) << "never echo key files";
}

TEST_F(MeshTest, SchemaErrorsComeFromTheCoreWithTheirLine) {
    EXPECT_THROW(parse("[Mesh]\nListenPort=99999\n"), ConfigException);
    try {
        parse("[Mesh]\n[Peer b]\nEndpoint=192.0.2.1:51820\n");
        FAIL() << "PublicKey= is required";
    } catch (const ConfigException& e) {
        ASSERT_FALSE(e.errors().empty());
        EXPECT_EQ(e.errors()[0].key, "PublicKey");
        EXPECT_THAT(e.errors()[0].str(), HasSubstr("wireguard-mesh.conf:2"));
    }
    EXPECT_THROW(parse("[Peer b]\nPublicKey=short\n"), ConfigException);
    EXPECT_THROW(parse("[Peer b]\nPublicKey=" + newPublicKey() + "\nEndpoint=192.0.2.1\n"),
                 ConfigException);
    EXPECT_THROW(parse("[Mesh]\nBackend=magic\n"), ConfigException);
}

TEST_F(MeshTest, PrivateKeyFileMustExistAndIsNeverGenerated) {
    auto errors = errorsOf("[Mesh]\nPrivateKeyFile=" + (dir / "missing.key").string() + "\n");
    EXPECT_THAT(errors, ElementsAre(HasSubstr(":2: [Mesh] PrivateKeyFile: cannot open")));
    EXPECT_FALSE(fs::exists(dir / "missing.key"));
}

TEST_F(MeshTest, OwnKeyAsAPeerIsRefusedWhenTheKeyIsKnown) {
    std::string priv = wg::generatePrivateKey();
    fs::path keyFile = dir / "node.key";
    writeKeyFile(keyFile, priv + "\n");
    std::string own = *wg::publicKeyFor(priv);
    auto errors = errorsOf("[Mesh]\nPrivateKeyFile=" + keyFile.string() +
                           "\n[Peer self]\nPublicKey=" + own + "\n");
    EXPECT_THAT(
        errors,
        ElementsAre(HasSubstr(":4: [Peer self] PublicKey: that is this node's own public key")));

    // With the generated key, the check happens once the key is known: at start and reload.
    start("[Mesh]\n");
    std::string generated = plugin->publicKey();
    std::string withSelf = "[Mesh]\n[Peer self]\nPublicKey=" + generated + "\n";
    EXPECT_THAT(errorsOf(withSelf, plugin.get()),
                ElementsAre(HasSubstr(":3: [Peer self] PublicKey: that is this node's own")));
    try {
        start(withSelf);
        FAIL() << "start() must refuse a peer with this node's key";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("wireguard-mesh.conf:3: [Peer self] PublicKey"));
    }
}

TEST_F(MeshTest, LeaseIsTheTableAndTheLinkOnly) {
    auto p = make();
    Lease l = p->lease(parse("[Mesh]\nInterface=mesh7\nFirewallMark=0x20\n"));
    EXPECT_EQ(l.nftTables, std::vector<std::string>{"weft_wireguard_mesh"});
    EXPECT_EQ(l.links, std::vector<std::string>{"mesh7"});
    EXPECT_THAT(l.routingTables, IsEmpty());
    EXPECT_THAT(l.rulePriorities, IsEmpty());
    EXPECT_EQ(l.markBits, 0u);
    EXPECT_THAT(l.sysctls, IsEmpty());
    EXPECT_EQ(p->info().name, "wireguard-mesh");
    EXPECT_EQ(p->info().busInterface, "org.weft.Weft1.WireguardMesh");
}

}  // namespace
}  // namespace weft::mesh::test
