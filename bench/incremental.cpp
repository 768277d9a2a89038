#include "incremental.hpp"
#include "timing.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "kernel/nft/nft_engine.hpp"
#include "kernel/nft/nft_messages.hpp"
#include "kernel/nft/nft_socket.hpp"
#include "workload.hpp"

namespace weft::bench {

namespace {

using weft::bench::Clock;
using weft::bench::median;
using weft::bench::ms;

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
    auto base = steeringTable("weft_incr", size, interval);
    check(engine.apply("bench", {base}));

    // weft: the plugin keeps its set and edits it; each apply diffs and sends one element.
    std::vector<double> lat;
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
    Incremental out;
    out.weft = latency(lat);

    // Baseline: the same one-element batches, built once and sent as they are.
    kernel::nft::NftSocket sock;
    kernel::nft::Target target{nft::TableFamily::Inet, "weft_incr"};
    const nft::Set& def = base.sets[0];
    lat.clear();
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
    out.raw = latency(lat);
    check(engine.removeOwner("bench"));
    return out;
}

}  // namespace weft::bench
