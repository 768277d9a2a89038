// exemption-rules: rules follow the node's addresses; IPv6; exempt marks.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "exemption_plugin.hpp"
#include "fake_host.hpp"

using namespace weft;

TEST(ExemptionRules, RulesFollowPeersPortsAndLocalAddresses) {
    test::FakeHost host("exemption-rules", "/tmp/weft-unit-ex");
    LinkInfo eth{
        2,
        "eth0",
        true,
        1500,
        {*InterfaceAddress::parse("192.0.2.11/24"), *InterfaceAddress::parse("2001:db8::11/64"),
         *InterfaceAddress::parse("fe80::1/64")}};
    host.linkList = {LinkInfo{1, "lo", true, 65536, {*InterfaceAddress::parse("127.0.0.1/8")}},
                     eth};
    exempt::ExemptionPlugin p;
    auto c = config::parseText(
        "[Exemption cp]\nPeers=192.0.2.12/32 2001:db8::12/128\nPorts=6443\nLocalPorts=2379-2380\n",
        "exemption-rules.conf", p.schema());
    p.validate(c);
    p.configure(c);
    p.start(host);
    auto d = p.desiredState();
    auto has = [&](auto pred) { return std::any_of(d.rules.begin(), d.rules.end(), pred); };
    EXPECT_TRUE(has([](auto& r) {
        return r.to == Prefix::parse("192.0.2.12/32") && r.dport == PortRange{6443, 6443} &&
               r.ipproto == 6;
    }));
    EXPECT_TRUE(has([](auto& r) {
        return r.from == Prefix::parse("2001:db8::11/128") && r.sport == PortRange{2379, 2380} &&
               r.family == Family::V6;
    }));
    EXPECT_FALSE(has([](auto& r) { return r.from && r.from->address.str() == "127.0.0.1"; }))
        << "no loopback";
    EXPECT_FALSE(has([](auto& r) { return r.from && r.from->address.str() == "fe80::1"; }))
        << "no link-local";
    EXPECT_TRUE(has([](auto& r) { return r.fwmark == Mark{0x400000, 0x400000} && !r.dport; }));
    for (auto& r : d.rules)
        EXPECT_EQ(r.priority, 5000u);
    size_t before = d.rules.size();
    eth.addresses.push_back(*InterfaceAddress::parse("192.0.2.99/24"));
    host.setLinks({eth});
    EXPECT_GE(host.reconcileRequests, 1u) << "address changes reconcile";
    EXPECT_GT(p.desiredState().rules.size(), before);
}

TEST(ExemptionRules, NeedsSomethingToExempt) {
    exempt::ExemptionPlugin p;
    auto c =
        config::parseText("[Exemption x]\nPeers=10.0.0.0/8\n", "exemption-rules.conf", p.schema());
    EXPECT_THROW(p.validate(c), ConfigException);
}
