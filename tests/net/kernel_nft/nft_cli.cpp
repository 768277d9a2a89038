#include "nft_cli.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <cstdio>
#include <memory>

namespace weft::test {

using namespace weft::nft;

std::string nft(const std::string& args, bool mustSucceed) {
    auto r = sh("nft " + args);
    if (mustSucceed) {
        EXPECT_EQ(r.status, 0) << "nft " << args << ": " << r.out;
    }
    return r.out;
}

std::string listTable(const std::string& family, const std::string& name) {
    auto r = sh("nft list table " + family + " " + name);
    return r.status == 0 ? r.out : "";
}

size_t count(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1))
        ++n;
    return n;
}

ElementSet v4Elements(size_t n, uint8_t length, uint32_t base) {
    ElementSet out;
    uint32_t step = length == 32 ? 2 : 2u << (32 - length);  // a gap after each: no merging
    for (size_t i = 0; i < n; ++i) {
        uint32_t a = base + uint32_t(i) * step;
        uint8_t b[4] = {uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
        out.push_back(Element{Prefix::make(Address::fromBytes(Family::V4, b), length), {}});
    }
    return out;
}

Table sampleTable(const std::string& name) {
    Table t;
    t.name = name;
    Set s;
    s.name = "dst4";
    s.keyType = DataType::Ipv4Addr;
    s.interval = true;
    s.elements = {Element{*Prefix::parse("10.0.0.0/8"), {}},
                  Element{*Prefix::parse("192.168.1.0/24"), {}}};
    t.sets.push_back(s);
    Chain pre{"pre", BaseChain{ChainType::Filter, Hook::Prerouting, -150, Verdict::Accept}, {}};
    pre.rules.push_back(Rule{}
                            .family(Family::V4)
                            .daddrIn(Family::V4, "dst4")
                            .counter()
                            .jump("tag")
                            .withComment("steer"));
    Chain tag{"tag", std::nullopt, {}};
    tag.rules.push_back(Rule{}.setMark(Mark{0x20, 0x60}).withComment("set"));
    t.chains = {pre, tag};
    return t;
}

void resetRuleset() {
    // Owned tables refuse other sockets while their owner lives: tests close engines first.
    sh("nft flush ruleset");
    // "flush ruleset" skips persistent tables: delete what remains table by table.
    auto list = sh("nft list tables").out;
    size_t pos = 0;
    while ((pos = list.find("table ", pos)) != std::string::npos) {
        auto end = list.find('\n', pos);
        sh("nft delete " + list.substr(pos, end - pos));
        pos = end;
    }
}

}  // namespace weft::test
