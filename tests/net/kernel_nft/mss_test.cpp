// The MSS clamp on the wire: a SYN advertising MSS 1460 and leaving through a route with MTU
// 1400 must carry MSS 1360 (the route's MSS is host order, the option big-endian; the kernel
// only ever lowers it), a fixed clamp its own value.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "nft_cli.hpp"

namespace weft::test {
namespace {

using namespace weft::nft;
using kernel::NftEngine;

// Sends one SYN towards 10.9.1.1 (on a veth pair inside the test namespace) and closes.
void sendSyn() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(80);
    inet_pton(AF_INET, "10.9.1.1", &to.sin_addr);
    connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);  // EINPROGRESS: the SYN is out
    close(fd);
}

// Packets counted by the witness rule matching `mss` on SYNs after weft's clamp.
uint64_t witnessed(uint16_t mss) {
    auto text = nft("list chain ip witness out");
    auto pos = text.find("maxseg size " + std::to_string(mss) + " counter packets ");
    if (pos == std::string::npos)
        return 0;
    return std::strtoull(text.c_str() + text.find("packets ", pos) + 8, nullptr, 10);
}

TEST(MssTest, ClampWritesTheRouteMssAndFixedSizes) {
    resetRuleset();
    sh("ip link del d0");
    ASSERT_EQ(
        sh("ip link add d0 type veth peer name d1 && ip link set d1 up && ip link set d0 up && "
           "ip addr add 10.9.0.1/24 dev d0 && ip route add 10.9.1.0/24 dev d0 mtu 1400 advmss 1460")
            .status,
        0);
    // A foreign table after ours on the output hook sees the option as the wire will.
    nft("add table ip witness");
    nft("add chain ip witness out '{ type filter hook output priority 10; }'");
    for (int mss : {1360, 1300})
        nft("add rule ip witness out oifname d0 tcp option maxseg size " + std::to_string(mss) +
            " counter");
    NftEngine e(NftEngine::Options{false});
    Table t;
    t.name = "weft_mss";
    Chain out{"out", BaseChain{ChainType::Filter, Hook::Output, -150, Verdict::Accept}, {}};
    out.rules = {Rule{}.oif("d0").add(ClampMss{})};
    t.chains = {out};
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    sendSyn();
    EXPECT_EQ(witnessed(1360), 1u);
    EXPECT_EQ(witnessed(1300), 0u);
    t.chains[0].rules = {Rule{}.oif("d0").add(ClampMss{1300})};
    ASSERT_TRUE(e.apply("probe", {t}).ok());
    sendSyn();
    EXPECT_EQ(witnessed(1360), 1u);
    EXPECT_EQ(witnessed(1300), 1u);
    sh("ip link del d0");
    resetRuleset();
}

}  // namespace
}  // namespace weft::test
