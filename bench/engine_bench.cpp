// Scale and latency of the kernel engine, against nft -f / ip -batch baselines measured in
// the same run and the same (private) network namespace. Needs root.
//
//   build/bench/engine-bench [--elements 100000] [--routes 10000] [--rules 1000]
//
// Prints a table of timings and ratios; docs/BENCHMARKS.md records a run.
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "incremental.hpp"
#include "kernel/nft/nft_engine.hpp"
#include "kernel/rtnl/route_engine.hpp"
#include "timing.hpp"
#include "weft_build_config.h"
#include "workload.hpp"

using namespace weft;
using weft::bench::Clock;
using weft::bench::median;
using weft::bench::ms;

namespace {

std::vector<Route> routes(unsigned n) {
    std::vector<Route> v;
    for (unsigned i = 0; i < n; ++i) {
        Route r;
        r.table = 1000 + i % 10;
        r.dst = bench::nth(i);
        r.dev = "bench0";
        r.scopeLink = true;
        v.push_back(r);
    }
    return v;
}

std::vector<RoutingRule> rules(unsigned n) {
    std::vector<RoutingRule> v;
    for (unsigned i = 0; i < n; ++i) {
        RoutingRule r;
        r.priority = 20000 + i;
        r.to = bench::nth(i);
        r.table = 1000;
        v.push_back(r);
    }
    return v;
}

void sh(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "bench: command failed: %s\n", cmd.c_str());
        std::exit(1);
    }
}

// The same ruleset, routes and rules as text for the baselines.
void writeBaselineFiles(unsigned elements, unsigned nroutes, unsigned nrules) {
    std::ofstream nftf("/tmp/weft-bench.nft");
    nftf << "table inet base_bench {\n set dst4 { type ipv4_addr; flags interval; elements = { ";
    for (unsigned i = 0; i < elements; ++i)
        nftf << (i ? ", " : "") << bench::nth(i).str();
    nftf
        << " } }\n chain output { type route hook output priority -150; meta nfproto ipv4 ip daddr "
           "@dst4 meta mark set meta mark | 0x100 counter; }\n}\n";
    std::ofstream ipf("/tmp/weft-bench.ip");
    for (auto& r : routes(nroutes)) {
        ipf << "route add " << r.dst.str() << " dev bench0 scope link table " << r.table + 100
            << "\n";
    }
    for (auto& r : rules(nrules)) {
        ipf << "rule add priority " << r.priority + 5000 << " to " << r.to->str()
            << " table 1100\n";
    }
}

}  // namespace

int main(int argc, char** argv) {
    unsigned elements = 100000, nroutes = 10000, nrules = 1000, rounds = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        unsigned v = unsigned(std::stoul(argv[i + 1]));
        if (a == "--elements")
            elements = v;
        if (a == "--routes")
            nroutes = v;
        if (a == "--rules")
            nrules = v;
        if (a == "--rounds")
            rounds = v;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        std::perror("bench: unshare(CLONE_NEWNET) (run as root)");
        return 1;
    }
    sh("ip link set lo up && ip link add bench0 type veth peer name bench1 && ip link set bench0 "
       "up && ip link set bench1 up");
    writeBaselineFiles(elements, nroutes, nrules);

    // (a) cold apply: weft vs nft -f + ip -batch of the same objects.
    auto t0 = Clock::now();
    sh("nft -f /tmp/weft-bench.nft && ip -batch /tmp/weft-bench.ip");
    double baseline = ms(Clock::now() - t0);

    kernel::NftEngine nft;
    kernel::RouteEngine rt(uint8_t(WEFT_RTPROTO));
    auto big = bench::steeringTable("weft_bench", elements);
    auto rs = routes(nroutes);
    auto rl = rules(nrules);
    t0 = Clock::now();
    auto a = nft.apply("bench", {big});
    auto b = rt.applyRoutes(rs, {{1000, 1009}});
    auto c = rt.applyRules(rl, {20000, 20000 + nrules});
    double cold = ms(Clock::now() - t0);
    for (auto* r : {&a, &b, &c}) {
        if (!r->ok()) {
            std::fprintf(stderr, "bench: apply failed: %s\n", r->errors.front().c_str());
            return 1;
        }
    }
    std::printf("cold apply (%u set elements, %u routes, %u rules)\n", elements, nroutes, nrules);
    std::printf("  nft -f + ip -batch baseline  %9.1f ms\n", baseline);
    std::printf("  weft                         %9.1f ms   ratio %.2f (target <= 1.00)\n", cold,
                cold / baseline);

    // (c) a no-change reconcile at full size: as after a plugin's request (the engines trust
    // what they converged), and as after a drift event or the periodic resync (read it all).
    for (bool reread : {false, true}) {
        if (reread) {
            nft.invalidate();
            rt.invalidate();
        }
        t0 = Clock::now();
        auto n1 = nft.apply("bench", {big});
        auto n2 = rt.applyRoutes(rs, {{1000, 1009}});
        auto n3 = rt.applyRules(rl, {20000, 20000 + nrules});
        double nochange = ms(Clock::now() - t0);
        std::printf("no-change reconcile, %s %9.1f ms   (%u changes)\n",
                    reread ? "reading the kernel   " : "engines' records     ", nochange,
                    n1.changes + n2.changes + n3.changes);
    }
    rt.removeAll();
    nft.removeOwner("bench");

    // (b) one element added/removed, at three set sizes, interval and hash sets.
    std::printf(
        "incremental: add or remove 1 element (%u rounds each way); baseline = the same\n"
        "one-element batch sent straight to the kernel\n",
        rounds);
    for (bool interval : {true, false}) {
        std::printf("  %s set\n", interval ? "interval (rbtree)" : "hash");
        double p99small = 0;
        for (unsigned size : {1000u, 10000u, elements}) {
            auto s = bench::incremental(size, rounds, interval);
            if (size == 1000)
                p99small = s.weft.p99;
            std::printf(
                "    %6u: weft p50 %.2f p99 %.2f ms (p99/p99@1k %.2f) | baseline p50 %.2f p99 "
                "%.2f ms | weft adds p50 %+.2f ms\n",
                size, s.weft.p50, s.weft.p99, s.weft.p99 / p99small, s.raw.p50, s.raw.p99,
                s.weft.p50 - s.raw.p50);
        }
    }
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("peak RSS of the bench process: %.1f MB\n", double(ru.ru_maxrss) / 1024);
    return 0;
}
