// Where NftEngine::apply spends its time on weave-policy's table (npc-bench's workload): the
// table of the hot pod on and off is compiled once, applied once in a private network
// namespace, then timed as N applies of the unchanged table and N churns (on <-> off, 52
// elements each). Under `valgrind --tool=callgrind --instr-atstart=no` only those repeated
// applies are instrumented. Needs root.
//
//   build/bench/npc-apply-profile [--pods 10000] [--rounds 50] [--seed 1]
#include <sched.h>
#include <sys/resource.h>
#include <valgrind/callgrind.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernel/nft/nft_engine.hpp"
#include "npc_workload.hpp"
#include "policy_compiler.hpp"
#include "timing.hpp"

using namespace weft;
using weft::bench::Clock;
using weft::bench::median;
using weft::bench::ms;

namespace {

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "npc-apply-profile: %s\n", what.c_str());
    std::exit(1);
}

struct Stats {
    double p50 = 0, p99 = 0;
};

Stats stats(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]};
}

}  // namespace

int main(int argc, char** argv) {
    bench::ClusterSpec spec;
    unsigned rounds = 50;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        unsigned v = unsigned(std::strtoul(argv[i + 1], nullptr, 10));
        if (a == "--pods")
            spec.pods = v;
        else if (a == "--rounds")
            rounds = std::max(v + v % 2, 2u);  // even: each churn phase ends on tables[0]
        else if (a == "--seed")
            spec.seed = v;
        else
            fail("unknown option " + a);
    }
    if (unshare(CLONE_NEWNET) != 0)
        fail("unshare(CLONE_NEWNET) failed (run as root)");

    auto cluster = bench::makeCluster(spec);
    weave::ObjectSet objects;
    objects.apply(cluster.objects);
    weave::PolicyCompiler compiler;
    weave::CompileOptions options;
    options.interfaces = {"weave"};
    compiler.rebuild(objects, options);
    // Two tables that differ in the hot pod's elements only, as the compiler hands them out;
    // each in its own vector, as weftd passes a plugin's tables (apply({t}) would copy t).
    std::vector<std::vector<nft::Table>> tables;
    for (auto& labels : {cluster.hotOn, cluster.hotOff}) {
        weave::Pod pod = cluster.hot;
        pod.labels = labels;
        objects.apply({pod});
        compiler.podsChanged(objects, {weave::ObjectKey{weave::Kind::Pod, pod.ns, pod.name}});
        tables.push_back({compiler.table()});
    }
    if (tables[0][0].chains != tables[1][0].chains)
        fail("the two tables differ in their chains");
    size_t rules = 0;
    for (auto& c : tables[0][0].chains)
        rules += c.rules.size();
    std::printf("table: %zu chains, %zu rules, %zu sets\n", tables[0][0].chains.size(), rules,
                tables[0][0].sets.size());

    kernel::NftEngine engine(kernel::NftEngine::Options{false});
    auto t0 = Clock::now();
    if (auto r = engine.apply("bench", tables[0]); !r.ok())
        fail("cold apply: " + r.errors.front());
    std::printf("cold apply: %.1f ms\n", ms(Clock::now() - t0));

    // Each phase: `rounds` applies of input(i) (made before the clock starts: a reference to a
    // kept table, or a fresh copy), timed one by one, with their user and sys time. With
    // `copyTimed`, apply() is handed a copy made inside the timing, as apply(owner, {table}).
    auto phase = [&](const char* name, auto&& input, bool changes, bool copyTimed) {
        std::vector<double> wall;
        double user = 0, sys = 0;
        size_t messages = 0;
        for (unsigned i = 0; i < rounds; ++i) {
            decltype(auto) in = input(i);
            rusage a{}, b{};
            getrusage(RUSAGE_SELF, &a);
            auto t = Clock::now();
            auto r = copyTimed ? engine.apply("bench", std::vector<nft::Table>(in))
                               : engine.apply("bench", in);
            wall.push_back(ms(Clock::now() - t));
            getrusage(RUSAGE_SELF, &b);
            user += ms(b.ru_utime) - ms(a.ru_utime);
            sys += ms(b.ru_stime) - ms(a.ru_stime);
            if (!r.ok())
                fail(std::string(name) + ": " + r.errors.front());
            if ((engine.lastBatchMessages() != 0) != changes)
                fail(std::string(name) + ": unexpected batch of " +
                     std::to_string(engine.lastBatchMessages()) + " messages");
            messages = std::max(messages, engine.lastBatchMessages());
        }
        CALLGRIND_DUMP_STATS_AT(name);
        auto st = stats(wall);
        std::printf("%-24s p50 %6.2f ms  p99 %6.2f ms  user %5.2f  sys %5.2f ms/apply  %zu msgs\n",
                    name, st.p50, st.p99, user / rounds, sys / rounds, messages);
    };
    auto kept = [&](unsigned i) -> const std::vector<nft::Table>& { return tables[(i + 1) % 2]; };
    auto fresh = [&](unsigned i) {
        return tables[(i + 1) % 2];
    };  // as a plugin hands out a new table
    auto same = [&](unsigned) -> const std::vector<nft::Table>& { return tables[0]; };
    CALLGRIND_START_INSTRUMENTATION;
    phase("churn, kept tables", kept, true, false);
    phase("no-change", same, false, false);
    phase("churn, fresh copies", fresh, true, false);
    phase("no-change, {copy} timed", same, false, true);
    CALLGRIND_STOP_INSTRUMENTATION;
    return 0;
}
