// Config -> desired state: the WireGuard link, the MSS-clamping table, MTU=auto, the
// endpoint filter and the published targets set.
#include <gmock/gmock.h>

#include "mesh_fixture.hpp"

namespace weft::mesh::test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

class ThreePeers : public MeshTest {
  protected:
    void SetUp() override {
        MeshTest::SetUp();
        psk = wg::generatePrivateKey();
        writeFile(dir / "psk-b", psk + "\n");
        text =
            "[Mesh]\nInterface=weft0\nListenPort=51821\nFirewallMark=0x51820\nMTU=1400\n"
            "Address=10.99.0.1/24\nAddress=fd00:99::1/64\nPersistentKeepalive=20s\n"
            "Backend=userspace\nWireguardGo=/usr/bin/wireguard-go\n"
            "[Peer b]\nPublicKey=" +
            kb + "\nPresharedKeyFile=" + (dir / "psk-b").string() +
            "\nEndpoint=192.0.2.2:51820\nEndpoint=198.51.100.2:51820\n"
            "AllowedIPs=10.99.0.2/32 10.244.2.0/24\nPersistentKeepalive=5s\n"
            "[Peer c]\nPublicKey=" +
            kc +
            "\nEndpoint=[2001:db8::3]:51820\n"
            "AllowedIPs=10.99.0.3/32 fd00:244:3::/64\n"
            "[Peer d]\nPublicKey=" +
            kd + "\nAllowedIPs=10.99.0.4/32\n";
    }
    std::string kb = newPublicKey(), kc = newPublicKey(), kd = newPublicKey();
    std::string psk, text;
};

TEST_F(ThreePeers, LinkCarriesIdentityPeersAndCurrentEndpoints) {
    start(text);
    DesiredState d = plugin->desiredState();
    ASSERT_EQ(d.wireguard.size(), 1u);
    WireguardLink expected;
    expected.name = "weft0";
    expected.backend = WireguardBackend::Userspace;
    expected.wireguardGo = "/usr/bin/wireguard-go";
    std::string priv;
    std::getline(std::ifstream(dir / "state" / "private.key"), priv);
    expected.privateKey = priv;
    expected.listenPort = 51821;
    expected.fwmark = 0x51820;
    expected.mtu = 1400;
    expected.addresses = {*InterfaceAddress::parse("10.99.0.1/24"),
                          *InterfaceAddress::parse("fd00:99::1/64")};
    expected.peers = {
        WireguardPeer{kb, psk, E("192.0.2.2:51820"), {P("10.99.0.2/32"), P("10.244.2.0/24")}, 5s},
        WireguardPeer{
            kc, "", E("[2001:db8::3]:51820"), {P("10.99.0.3/32"), P("fd00:244:3::/64")}, 20s},
        WireguardPeer{kd, "", std::nullopt, {P("10.99.0.4/32")}, 20s},
    };
    EXPECT_EQ(d.wireguard[0], expected);
    EXPECT_TRUE(d.routes.empty());
    EXPECT_TRUE(d.rules.empty());
    EXPECT_TRUE(d.sysctls.empty());
    EXPECT_EQ(plugin->desiredState(), d) << "a second call wants the same";
}

TEST_F(ThreePeers, TableClampsMssOfSynsIntoTheTunnel) {
    start(text);
    DesiredState d = plugin->desiredState();
    ASSERT_EQ(d.tables.size(), 1u);
    const nft::Table& t = d.tables[0];
    EXPECT_EQ(t.name, "weft_wireguard_mesh");
    EXPECT_EQ(t.family, nft::TableFamily::Inet);
    EXPECT_TRUE(t.sets.empty());
    ASSERT_EQ(t.chains.size(), 2u);
    std::vector<nft::Expr> clamp{nft::MatchIfName{nft::Dir::Dst, "weft0", false},
                                 nft::MatchL4Proto{6}, nft::ClampMss{}};
    for (auto [chainName, hook] :
         {std::pair{"forward", nft::Hook::Forward}, std::pair{"output", nft::Hook::Output}}) {
        const std::string name = chainName;  // clang 14 cannot capture a structured binding
        auto chain =
            std::find_if(t.chains.begin(), t.chains.end(), [&](auto& c) { return c.name == name; });
        ASSERT_NE(chain, t.chains.end()) << name;
        EXPECT_EQ(chain->base,
                  (nft::BaseChain{nft::ChainType::Filter, hook, -150, nft::Verdict::Accept}));
        ASSERT_EQ(chain->rules.size(), 1u);
        EXPECT_EQ(chain->rules[0].exprs, clamp);
    }
}

TEST_F(ThreePeers, TargetsAreTheUnionOfAllowedIpsPublishedOnlyOnChange) {
    start(text);
    EXPECT_EQ(targets(), PrefixSet({P("10.99.0.2/32"), P("10.244.2.0/24"), P("10.99.0.3/32"),
                                    P("fd00:244:3::/64"), P("10.99.0.4/32")}));
    ASSERT_EQ(host->publications.size(), 1u);
    EXPECT_EQ(host->publications[0].first, "targets");
    reload(text);
    tick();
    EXPECT_EQ(host->publications.size(), 1u) << "an unchanged set is not published again";
    reload(text + "[Peer e]\nPublicKey=" + newPublicKey() + "\nAllowedIPs=10.244.5.0/24\n");
    ASSERT_EQ(host->publications.size(), 2u);
    EXPECT_TRUE(targets().contains(P("10.244.5.0/24")));
    reload(text);
    EXPECT_FALSE(targets().contains(P("10.244.5.0/24")));
}

TEST_F(ThreePeers, ReloadAnnouncesChangedProperties) {
    start(text);
    host->busObject.changed.clear();
    std::string moved = text;
    moved.replace(moved.find("ListenPort=51821"), 16, "ListenPort=51999");
    reload(moved);
    EXPECT_THAT(host->busObject.changed, Contains("ListenPort"));
    EXPECT_THAT(host->busObject.changed, Contains("Peers"));
    EXPECT_EQ(std::get<uint32_t>(host->busObject.get("ListenPort")), 51999u);
    EXPECT_EQ(plugin->desiredState().wireguard[0].listenPort, 51999);
}

TEST_F(ThreePeers, DescribeHasTheStateButNoSecrets) {
    start(text);
    plugin->desiredState();
    Json j = Json::parse(plugin->describe());
    EXPECT_EQ(j.at("interface"), "weft0");
    EXPECT_EQ(j.at("publicKey"), plugin->publicKey());
    EXPECT_EQ(j.at("listenPort"), 51821);
    EXPECT_EQ(j.at("mtu"), 1400);
    EXPECT_EQ(j.at("addresses").size(), 2u);
    const Json& peers = j.at("peers");
    ASSERT_EQ(peers.size(), 3u);
    EXPECT_EQ(peers[0].at("name"), "b");
    EXPECT_EQ(peers[0].at("endpoint"), "192.0.2.2:51820");
    EXPECT_EQ(peers[0].at("state"), "unknown");
    EXPECT_EQ(peers[0].at("source"), "config");
    EXPECT_TRUE(peers[0].at("presharedKey").get<bool>());
    EXPECT_TRUE(peers[2].at("endpoint").is_null());
    EXPECT_EQ(plugin->describe().find(psk), std::string::npos);
}

TEST_F(MeshTest, MtuAutoFollowsTheLowestOtherLink) {
    host->linkList = {{1, "lo", true, 65536, {}},
                      {2, "eth0", true, 1500, {}},
                      {3, "eth1", true, 9000, {}},
                      {4, "eth2", false, 1280, {}},
                      {5, "weft0", true, 1300, {}}};
    auto links = host->linkList;
    plugin = make();
    Config c = parse("[Mesh]\nMTU=auto\n");
    plugin->validate(c);
    plugin->configure(c);
    plugin->start(*host);
    EXPECT_EQ(plugin->desiredState().wireguard[0].mtu, 1420u) << "eth0 1500 - 80";
    unsigned before = host->reconcileRequests;
    links[1].mtu = 1400;
    host->setLinks(links);
    EXPECT_EQ(host->reconcileRequests, before + 1);
    EXPECT_EQ(plugin->desiredState().wireguard[0].mtu, 1320u);
    links[2].mtu = 1300;  // below 1280 + 80: IPv6's minimum wins
    host->setLinks(links);
    EXPECT_EQ(plugin->desiredState().wireguard[0].mtu, 1280u);
    host->setLinks({{1, "lo", true, 65536, {}}});
    EXPECT_EQ(plugin->desiredState().wireguard[0].mtu, 1420u) << "no underlay: the default";
    before = host->reconcileRequests;
    host->setLinks({{1, "lo", true, 65536, {}}, {2, "eth0", true, 1500, {}}});
    EXPECT_EQ(host->reconcileRequests, before) << "same MTU: nothing to do";
}

TEST_F(MeshTest, EndpointFilterIgnoresEndpointsOutsideIt) {
    std::string kb = newPublicKey(), kc = newPublicKey();
    start("[Mesh]\nEndpointFilter=192.0.2.0/24\n[Peer b]\nPublicKey=" + kb +
          "\nEndpoint=203.0.113.9:51820\nEndpoint=192.0.2.2:51820\n[Peer c]\nPublicKey=" + kc +
          "\nEndpoint=10.99.0.3:51820\n");
    EXPECT_EQ(desiredPeer(kb)->endpoint, E("192.0.2.2:51820"));
    EXPECT_EQ(desiredPeer(kc)->endpoint, std::nullopt);
    auto logged = [&](const std::string& text) {
        return std::any_of(host->logs.begin(), host->logs.end(),
                           [&](auto& l) { return l.find(text) != std::string::npos; });
    };
    EXPECT_TRUE(logged("peer b: endpoint 203.0.113.9:51820 lies outside EndpointFilter="));
    EXPECT_TRUE(logged("peer c: endpoint 10.99.0.3:51820 lies outside EndpointFilter="));
    EXPECT_TRUE(logged("peer c has no usable endpoint"));
}

TEST_F(MeshTest, MtuAutoFollowsTheUnderlayTowardsTheEndpoints) {
    auto a = [](const char* text) { return *InterfaceAddress::parse(text); };
    std::vector<LinkInfo> links{{1, "lo", true, 65536, {a("127.0.0.1/8")}},
                                {2, "eth0", true, 1500, {a("192.0.2.10/24"), a("2001:db8::10/64")}},
                                {3, "eth1", true, 9000, {a("198.51.100.10/24")}},
                                {4, "wg1", true, 1280, {a("10.50.0.1/24")}},
                                {5, "vxlan7", true, 1450, {}},
                                {6, "weft0", true, 1300, {a("10.99.0.1/24")}}};
    std::string kb = newPublicKey(), kc = newPublicKey();
    std::string b = "[Peer b]\nPublicKey=" + kb + "\nEndpoint=198.51.100.2:51820\n";
    std::string c = "[Peer c]\nPublicKey=" + kc + "\nEndpoint=[2001:db8::3]:51820\n";
    start("[Mesh]\nMTU=auto\n" + b);
    host->setLinks(links);
    EXPECT_EQ(plugin->desiredState().wireguard[0].mtu, 8920u) << "eth1, where b is";
    reload("[Mesh]\nMTU=auto\n" + b + c);
    EXPECT_EQ(plugin->desiredState().wireguard[0].mtu, 1420u) << "eth0 carries c";
    reload("[Mesh]\nMTU=auto\n[Peer b]\nPublicKey=" + kb + "\nEndpoint=203.0.113.5:51820\n");
    EXPECT_EQ(plugin->desiredState().wireguard[0].mtu, 1420u)
        << "not on a link: the lowest underlay link, never a tunnel (wg1, vxlan7)";
    reload("[Mesh]\nMTU=auto\n");
    EXPECT_EQ(plugin->desiredState().wireguard[0].mtu, 1420u) << "no endpoints: the same";
}

TEST_F(MeshTest, EndpointFilterExcludesWhatFollowsABang) {
    std::string kb = newPublicKey(), kc = newPublicKey(), kd = newPublicKey();
    start(
        "[Mesh]\nEndpointFilter=0.0.0.0/0 !192.168.0.0/16\nEndpointFilter=::/0\n"
        "[Peer b]\nPublicKey=" +
        kb + "\nEndpoint=192.168.1.5:51820\nEndpoint=192.0.2.2:51820\n[Peer c]\nPublicKey=" + kc +
        "\nEndpoint=[2001:db8::3]:51820\n[Peer d]\nPublicKey=" + kd +
        "\nEndpoint=192.168.7.7:51820\n");
    EXPECT_EQ(desiredPeer(kb)->endpoint, E("192.0.2.2:51820"));
    EXPECT_EQ(desiredPeer(kc)->endpoint, E("[2001:db8::3]:51820"));
    EXPECT_EQ(desiredPeer(kd)->endpoint, std::nullopt);
    Json j = Json::parse(plugin->describe());
    ASSERT_EQ(j.at("endpointFilter").size(), 3u);
    EXPECT_EQ(j.at("endpointFilter").at(2), "!192.168.0.0/16");

    reload("[Mesh]\nEndpointFilter=!192.168.0.0/16\n[Peer b]\nPublicKey=" + kb +
           "\nEndpoint=192.168.1.5:51820\nEndpoint=203.0.113.2:51820\n");
    EXPECT_EQ(desiredPeer(kb)->endpoint, E("203.0.113.2:51820")) << "only exclusions";

    auto errors =
        errorsOf("[Mesh]\nEndpointFilter=10.0.0.0/8 !banana\nEndpointFilter=!10.1.0.1/16\n");
    EXPECT_THAT(errors, ElementsAre(HasSubstr(":2: [Mesh] EndpointFilter: '!banana' is not an IP "
                                              "prefix"),
                                    HasSubstr(":3: [Mesh] EndpointFilter: '!10.1.0.1/16' has host "
                                              "bits set; did you mean 10.1.0.0/16?")));
}

TEST_F(MeshTest, AnEndpointInsideSomePeersAllowedIpsIsACandidate) {
    // KubeSpan's node addresses: peers advertise them, and they are the endpoints too.
    std::string kb = newPublicKey();
    start("[Mesh]\n[Peer b]\nPublicKey=" + kb +
          "\nEndpoint=192.0.2.2:51820\nAllowedIPs=192.0.2.2/32\nAllowedIPs=10.244.2.0/24\n");
    EXPECT_EQ(desiredPeer(kb)->endpoint, E("192.0.2.2:51820"));
}

TEST_F(MeshTest, DesiredStateFailsWithoutStartOrWithAVanishedPresharedKey) {
    auto p = make();
    p->configure(parse("[Mesh]\n"));
    EXPECT_THROW(p->desiredState(), std::runtime_error);

    writeFile(dir / "psk", wg::generatePrivateKey() + "\n");
    start("[Peer b]\nPublicKey=" + newPublicKey() + "\nPresharedKeyFile=" + (dir / "psk").string() +
          "\n");
    fs::remove(dir / "psk");
    try {
        plugin->desiredState();
        FAIL() << "an unreadable preshared key fails the plugin";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("peer b"));
        EXPECT_THAT(e.what(), HasSubstr((dir / "psk").string()));
    }
}

}  // namespace
}  // namespace weft::mesh::test
