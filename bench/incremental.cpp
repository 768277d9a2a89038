#include "incremental.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "kernel/nft/nft_engine.hpp"
#include "kernel/nft/nft_messages.hpp"
#include "kernel/nft/nft_socket.hpp"

namespace weft::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

double cpuMs(const timeval& t) {
    return double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3;
}

// Distinct, non-adjacent prefixes (nothing merges): 10.x.y.0/24 step 2, or hosts 10.x.y.1.
Prefix nth(unsigned i, bool interval) {
    unsigned n = i * 2;
    uint8_t b[4] = {uint8_t(10 + (n >> 16)), uint8_t(n >> 8), uint8_t(n),
                    uint8_t(interval ? 0 : 1)};
    auto a = Address::fromBytes(Family::V4, b);
    return interval ? Prefix::make(a, 24) : Prefix::host(a);
}

nft::Table table(unsigned size, bool interval) {
    nft::Set s{"dst4", nft::DataType::Ipv4Addr, {}, interval};
    for (unsigned i = 0; i < size; ++i)
        s.elements.insert({nth(i, interval), {}});
    nft::Chain c{"output", nft::BaseChain{nft::ChainType::Route, nft::Hook::Output, -150}, {}};
    c.rules.push_back(nft::Rule{}
                          .family(Family::V4)
                          .daddrIn(Family::V4, "dst4")
                          .setMark(Mark{0x100, 0x100})
                          .counter());
    return nft::Table{nft::TableFamily::Inet, "weft_incr", {s}, {c}};
}

void check(const kernel::ApplyResult& r) {
    if (!r.ok()) {
        std::fprintf(stderr, "bench: %s\n", r.errors.front().c_str());
        std::exit(1);
    }
}

}  // namespace

Latency latency(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)], v.back()};
}

Incremental incremental(unsigned size, unsigned rounds, bool interval) {
    // No owner flag: the baseline's own socket must be able to write the table too.
    kernel::NftEngine engine(kernel::NftEngine::Options{false});
    auto base = table(size, bool(interval));
    check(engine.apply("bench", {base}));

    // weft: the plugin keeps its set and edits it; each apply diffs and sends one element.
    std::vector<double> lat;
    rusage r0{}, r1{};
    getrusage(RUSAGE_SELF, &r0);
    for (unsigned i = 0; i < rounds; ++i) {
        auto grown = base;
        grown.sets[0].elements.insert({nth(size + 1 + i % 2, interval), {}});
        auto t0 = Clock::now();
        check(engine.apply("bench", {grown}));
        lat.push_back(ms(Clock::now() - t0));
        t0 = Clock::now();
        check(engine.apply("bench", {base}));
        lat.push_back(ms(Clock::now() - t0));
    }
    getrusage(RUSAGE_SELF, &r1);
    Incremental out;
    out.weft = latency(lat);

    // Baseline: the same one-element batches, built once and sent as they are.
    kernel::nft::NftSocket sock;
    kernel::nft::Target target{nft::TableFamily::Inet, "weft_incr"};
    const nft::Set& def = base.sets[0];
    lat.clear();
    rusage k0{}, k1{};
    getrusage(RUSAGE_SELF, &k0);
    for (unsigned i = 0; i < rounds; ++i) {
        nft::Element e{nth(size + 1 + i % 2, interval), {}};
        for (bool add : {true, false}) {
            auto msgs = kernel::nft::setElements(target, def, {e}, add);
            auto t0 = Clock::now();
            auto errors = sock.sendBatch(msgs);
            lat.push_back(ms(Clock::now() - t0));
            if (!errors.empty()) {
                std::fprintf(stderr, "bench: baseline: %s\n", errors.front().c_str());
                std::exit(1);
            }
        }
    }
    getrusage(RUSAGE_SELF, &k1);
    out.raw = latency(lat);
    // weft's own CPU: its user time per op, less the baseline's (message building, syscalls).
    double weftUser = cpuMs(r1.ru_utime) - cpuMs(r0.ru_utime);
    double rawUser = cpuMs(k1.ru_utime) - cpuMs(k0.ru_utime);
    out.userMsPerOp = std::max(0.0, weftUser - rawUser) / (2.0 * rounds);
    check(engine.removeOwner("bench"));
    return out;
}

}  // namespace weft::bench
