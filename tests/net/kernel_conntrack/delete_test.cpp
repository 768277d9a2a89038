// ConntrackTable::deleteFlows against the kernel: each filter field alone, combinations, the
// empty filter; the count it returns and the flows `conntrack -L` still lists afterwards.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <set>

#include "ct_cli.hpp"
#include "kernel/conntrack/conntrack_table.hpp"
#include "test_flows.hpp"

using namespace weft;
using namespace weft::test;

namespace {

class DeleteFlows : public ::testing::Test {
  protected:
    void TearDown() override { flushFlows(); }

    // Starts from the sample flows, deletes by `filter`, and checks the returned count and
    // that exactly the flows named in `deleted` are gone.
    void expectDeletes(const FlowFilter& filter, const std::set<std::string>& deleted) {
        std::multiset<std::string> survivors;
        std::set<std::string> known;
        for (auto& f : sampleFlows()) {
            known.insert(f.name);
            if (!deleted.count(f.name))
                survivors.insert(f.key);
        }
        for (auto& name : deleted)
            ASSERT_TRUE(known.count(name)) << "no sample flow " << name;
        flushFlows();
        insertFlows(sampleFlows());
        ASSERT_EQ(countFlows(), sampleFlows().size());
        EXPECT_EQ(table.deleteFlows(filter), deleted.size());
        EXPECT_EQ(flowKeys(), survivors);
    }

    kernel::ConntrackTable table;
};

FlowFilter family(Family f) {
    FlowFilter filter;
    filter.family = f;
    return filter;
}
FlowFilter source(const std::string& p) {
    FlowFilter filter;
    filter.source = prefix(p);
    return filter;
}
FlowFilter destination(const std::string& p) {
    FlowFilter filter;
    filter.destination = prefix(p);
    return filter;
}
FlowFilter protocol(uint8_t proto) {
    FlowFilter filter;
    filter.protocol = proto;
    return filter;
}
FlowFilter ports(uint16_t first, uint16_t last) {
    FlowFilter filter;
    filter.destinationPort = PortRange{first, last};
    return filter;
}
FlowFilter mark(uint32_t value, uint32_t mask) {
    FlowFilter filter;
    filter.ctMark = Mark{value, mask};
    return filter;
}

TEST_F(DeleteFlows, ByFamily) {
    expectDeletes(family(Family::V6), {"t6", "u6", "i6"});
    expectDeletes(family(Family::V4), {"t4a", "t4b", "u4a", "u4b", "i4"});
}

TEST_F(DeleteFlows, BySourcePrefix) {
    expectDeletes(source("10.0.0.0/24"), {"t4a", "u4a", "u4b", "i4"});
    expectDeletes(source("10.0.0.1/32"), {"t4a", "i4"});
    expectDeletes(source("10.0.0.0/16"), {"t4a", "t4b", "u4a", "u4b", "i4"});
    expectDeletes(source("fd00::/64"), {"t6", "u6", "i6"});
    expectDeletes(source("fd00::5/128"), {"u6"});
    expectDeletes(source("172.16.0.0/12"), {});
}

TEST_F(DeleteFlows, ByDestinationPrefix) {
    expectDeletes(destination("10.0.0.2/32"), {"t4a", "u4a", "u4b"});
    expectDeletes(destination("192.168.0.0/16"), {"t4b"});
    expectDeletes(destination("fd00:1::/64"), {"t6", "u6", "i6"});
    expectDeletes(destination("fd00:1::2/128"), {"t6"});
    // A source address is not a destination.
    expectDeletes(destination("10.0.0.1/32"), {});
}

TEST_F(DeleteFlows, ByProtocol) {
    expectDeletes(protocol(IPPROTO_TCP), {"t4a", "t4b", "t6"});
    expectDeletes(protocol(IPPROTO_UDP), {"u4a", "u4b", "u6"});
    expectDeletes(protocol(IPPROTO_ICMP), {"i4"});
    expectDeletes(protocol(IPPROTO_ICMPV6), {"i6"});
    expectDeletes(protocol(IPPROTO_SCTP), {});
}

TEST_F(DeleteFlows, ByDestinationPort) {
    expectDeletes(ports(80, 80), {"t4a", "t6"});
    expectDeletes(ports(53, 443), {"t4a", "t4b", "u4a", "t6"});
    expectDeletes(ports(8080, 8443), {"u4b", "u6"});
    // A source port is not a destination port.
    expectDeletes(ports(1000, 1000), {});
}

TEST_F(DeleteFlows, FlowsWithoutPortsNeverMatchAPortFilter) {
    expectDeletes(ports(0, 65535), {"t4a", "t4b", "u4a", "u4b", "t6", "u6"});
}

TEST_F(DeleteFlows, GreKeysAreNotPorts) {
    // GRE's keys travel in the port attributes of the tuple; a port filter must not see them.
    flushFlows();
    insertFlows(std::vector<std::string>{
        "-s 10.5.0.1 -d 10.5.0.2 -p gre --srckey 80 --dstkey 80 -t 300",
        "-s 10.5.0.1 -d 10.5.0.2 -p tcp --sport 80 --dport 80 --state ESTABLISHED -t 300"});
    ASSERT_EQ(countFlows(), 2u);
    EXPECT_EQ(table.deleteFlows(ports(80, 80)), 1u);
    EXPECT_EQ(flowKeys(), std::multiset<std::string>{"gre 10.5.0.1 10.5.0.2"});
    EXPECT_EQ(table.deleteFlows(protocol(IPPROTO_GRE)), 1u);
    EXPECT_EQ(countFlows(), 0u);
}

TEST_F(DeleteFlows, ByCtMarkUnderAPartialMask) {
    // Marks: t4a 0x10, t4b 0x21, u4a 0x30, u4b 0x11, i4 0x10, t6 0x10, u6 0x12, i6 0.
    expectDeletes(mark(0x10, 0xf0), {"t4a", "u4b", "i4", "t6", "u6"});
    expectDeletes(mark(0x0, 0x0f), {"t4a", "u4a", "i4", "t6", "i6"});
    expectDeletes(mark(0x01, 0x0f), {"t4b", "u4b"});
    expectDeletes(mark(0x21, 0xffffffff), {"t4b"});
    expectDeletes(mark(0x0, 0xffffffff), {"i6"});
    expectDeletes(mark(0x0, 0x0), {"t4a", "t4b", "u4a", "u4b", "i4", "t6", "u6", "i6"});
}

TEST_F(DeleteFlows, ByACombination) {
    FlowFilter f;
    f.family = Family::V4;
    f.protocol = IPPROTO_UDP;
    f.destination = prefix("10.0.0.0/24");
    f.destinationPort = PortRange{50, 60};
    f.ctMark = Mark{0x30, 0xff};
    expectDeletes(f, {"u4a"});

    FlowFilter g;
    g.source = prefix("fd00::/16");
    g.protocol = IPPROTO_TCP;
    g.destinationPort = PortRange{80, 80};
    g.ctMark = Mark{0x10, 0xf0};
    expectDeletes(g, {"t6"});

    FlowFilter h;
    h.destination = prefix("10.0.0.2/32");
    h.ctMark = Mark{0x10, 0xf0};
    expectDeletes(h, {"t4a", "u4b"});

    // Every field but one matches u4a: nothing goes.
    FlowFilter almost = f;
    almost.source = prefix("10.0.0.6/32");
    expectDeletes(almost, {});
}

TEST_F(DeleteFlows, ContradictoryFieldsMatchNothing) {
    FlowFilter f;
    f.family = Family::V4;
    f.source = prefix("fd00::/64");
    expectDeletes(f, {});
    FlowFilter g;
    g.source = prefix("10.0.0.0/8");
    g.destination = prefix("fd00::/8");
    expectDeletes(g, {});
}

TEST_F(DeleteFlows, EmptyFilterDeletesEverything) {
    expectDeletes(FlowFilter{}, {"t4a", "t4b", "u4a", "u4b", "i4", "t6", "u6", "i6"});
    EXPECT_EQ(table.deleteFlows(FlowFilter{}), 0u);  // the table is empty now
}

TEST_F(DeleteFlows, FlowsOfEveryZone) {
    // The same tuple in zone 0 and zone 7: a deletion must name the zone to reach the latter.
    flushFlows();
    insertFlows(
        std::vector<std::string>{"-s 10.9.0.1 -d 10.9.0.2 -p udp --sport 1 --dport 9 -t 300",
                                 "-s 10.9.0.1 -d 10.9.0.2 -p udp --sport 1 --dport 9 -t 300 -w 7",
                                 "-s 10.9.0.1 -d 10.9.0.3 -p udp --sport 1 --dport 9 -t 300 -w 7"});
    ASSERT_EQ(countFlows(), 3u);
    EXPECT_EQ(table.deleteFlows(destination("10.9.0.2/32")), 2u);
    EXPECT_EQ(flowKeys(), std::multiset<std::string>{"udp 10.9.0.1 10.9.0.3 9"});
}

}  // namespace
