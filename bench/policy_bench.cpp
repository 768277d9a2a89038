// The nftables engine at policy scale: a weave-policy-like table (a vmap dispatching to one
// chain per policy, concatenated sets) against `nft -f` of the same ruleset, measured in the
// same run and the same private network namespace. Needs root.
//
//   build/bench/policy-bench [--chains 2000] [--rounds 100] [--runs 7] [--nft-rounds 20]
//
// (1) cold apply of the whole table; (2) one policy chain changed among 200 .. 2,000.
// docs/BENCHMARKS.md records a run.
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "incremental.hpp"
#include "kernel/nft/nft_diff.hpp"
#include "kernel/nft/nft_engine.hpp"
#include "kernel/nft/nft_messages.hpp"
#include "kernel/nft/nft_model.hpp"
#include "kernel/nft/nft_socket.hpp"
#include "policy_workload.hpp"
#include "timing.hpp"
#include "weft/json.hpp"

using namespace weft;
using weft::bench::Clock;
using weft::bench::ms;

namespace {

using weft::bench::median;  // beside the Cost overload below, so both are found

const std::string kTable = "weft_policy", kOwner = "bench";
const std::string kFile = "/tmp/weft-policy-bench-" + std::to_string(getpid());

void removeFiles() {
    for (auto* suffix : {".nft", "-0.nft", "-1.nft"})
        std::remove((kFile + suffix).c_str());
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "policy-bench: %s\n", what.c_str());
    removeFiles();
    std::exit(1);
}

// Wall-clock and CPU time of one step: user is the process's own work (parsing, planning,
// encoding), sys mostly the kernel's (nfnetlink processes a batch in the sender's sendmsg).
struct Cost {
    double wall = 0, user = 0, sys = 0;
};

// Runs nft with `args` (no shell: its start would be counted against nft) and waits.
Cost nft(std::vector<std::string> args) {
    args.insert(args.begin(), "nft");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid;
    int status = 0;
    struct rusage ru {};
    auto t0 = Clock::now();
    if (posix_spawnp(&pid, "nft", nullptr, nullptr, argv.data(), environ) != 0 ||
        wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail("nft " + args[1] + " " + (args.size() > 2 ? args[2] : "") + " failed");
    }
    return {ms(Clock::now() - t0), ms(ru.ru_utime), ms(ru.ru_stime)};
}

// The cost of `f` run in this process.
template <typename F>
Cost measure(F&& f) {
    struct rusage a {
    }, b{};
    getrusage(RUSAGE_SELF, &a);
    auto t0 = Clock::now();
    f();
    double wall = ms(Clock::now() - t0);
    getrusage(RUSAGE_SELF, &b);
    return {wall, ms(b.ru_utime) - ms(a.ru_utime), ms(b.ru_stime) - ms(a.ru_stime)};
}

Cost median(const std::vector<Cost>& v) {
    std::vector<double> w, u, s;
    for (auto& c : v) {
        w.push_back(c.wall);
        u.push_back(c.user);
        s.push_back(c.sys);
    }
    return {median(w), median(u), median(s)};
}

std::string capture(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p)
        fail("cannot run " + cmd);
    char buf[65536];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;)
        out.append(buf, n);
    if (pclose(p) != 0)
        fail(cmd + " failed");
    return out;
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    if (!f)
        fail("cannot write " + path);
}

void check(const kernel::ApplyResult& r) {
    if (!r.ok())
        fail("apply failed: " + r.errors.front());
}

// What `nft -j list table` shows of a table: counts, and each chain's rules and each set's
// elements as JSON text (elements sorted: a hash set lists in bucket order).
struct Listing {
    size_t chains = 0, rules = 0, sets = 0, elements = 0, counters = 0;
    std::map<std::string, std::vector<std::string>> chainRules, setElements;
};

Listing listing() {
    Listing l;
    auto j = Json::parse(capture("nft -j list table inet " + kTable));
    for (auto& o : j.at("nftables")) {
        if (o.contains("chain")) {
            ++l.chains;
        } else if (o.contains("rule")) {
            ++l.rules;
            auto& r = o.at("rule");
            l.chainRules[r.at("chain").get<std::string>()].push_back(r.at("expr").dump());
        } else if (o.contains("set") || o.contains("map")) {
            ++l.sets;
            auto& s = o.contains("set") ? o.at("set") : o.at("map");
            auto& elems = l.setElements[s.at("name").get<std::string>()];
            for (auto& e : s.value("elem", Json::array()))
                elems.push_back(e.dump());
            std::sort(elems.begin(), elems.end());
            l.elements += elems.size();
        } else if (o.contains("counter")) {
            ++l.counters;
        }
    }
    return l;
}

// The first difference between two listings' rules and elements, or "".
std::string firstDifference(const Listing& a, const Listing& b) {
    for (auto m : {&Listing::chainRules, &Listing::setElements}) {
        for (auto& [name, items] : a.*m) {
            auto it = (b.*m).find(name);
            if (it == (b.*m).end())
                return name + " missing from nft's";
            for (size_t i = 0; i < items.size() || i < it->second.size(); ++i) {
                auto x = i < items.size() ? items[i] : "(none)";
                auto y = i < it->second.size() ? it->second[i] : "(none)";
                if (x != y)
                    return name + " #" + std::to_string(i) + ": weft " + x + "  nft " + y;
            }
        }
    }
    return "";
}

// (1) Cold apply of the whole table into an empty namespace, weft and nft -f taking turns at
// going first; the listings of the first run of each are compared.
void coldApply(unsigned policies, unsigned runs) {
    auto t0 = Clock::now();
    auto rs = bench::policyRuleset(kTable, kOwner, policies);
    double build = ms(Clock::now() - t0);
    writeFile(kFile + ".nft", rs.nftText);
    std::vector<nft::Table> desired{rs.table};
    std::vector<Cost> weft, base;
    Listing lw, ln;
    for (unsigned run = 0; run < runs; ++run) {
        for (int side : {int(run % 2), int(1 - run % 2)}) {
            nft({"flush", "ruleset"});
            kernel::NftEngine engine(kernel::NftEngine::Options{false});
            if (side == 0)
                weft.push_back(measure([&] { check(engine.apply(kOwner, desired)); }));
            else
                base.push_back(nft({"-f", kFile + ".nft"}));
            if (run == 0)
                (side == 0 ? lw : ln) = listing();
        }
    }
    nft({"flush", "ruleset"});
    auto w = median(weft), b = median(base);
    auto spread = [](const std::vector<Cost>& v) {
        auto [lo, hi] = std::minmax_element(v.begin(), v.end(),
                                            [](auto& x, auto& y) { return x.wall < y.wall; });
        return std::to_string(int(lo->wall)) + "-" + std::to_string(int(hi->wall));
    };
    std::printf(
        "(1) cold apply: %zu chains, %zu rules, %zu sets and maps, %zu elements (%u in "
        "concatenated sets); median of %u runs, ms\n",
        rs.chains, rs.rules, rs.sets, rs.elements, policies * bench::kElementsPerPolicy, runs);
    std::printf("                                     wall  (range)      user     sys\n");
    std::printf("  nft -f of the same ruleset    %9.1f  (%s)  %7.1f %7.1f\n", b.wall,
                spread(base).c_str(), b.user, b.sys);
    std::printf(
        "  weft engine, fresh engine     %9.1f  (%s)  %7.1f %7.1f   ratio %.2f "
        "(target <= 1.00)\n",
        w.wall, spread(weft).c_str(), w.user, w.sys, w.wall / b.wall);
    std::printf("  (building the desired table and the nft text, not timed above: %.1f ms)\n",
                build);
    std::printf(
        "  listing check (nft -j list table), weft | nft -f: chains %zu | %zu, rules %zu | "
        "%zu, sets %zu | %zu, elements %zu | %zu, counters %zu | %zu\n",
        lw.chains, ln.chains, lw.rules, ln.rules, lw.sets, ln.sets, lw.elements, ln.elements,
        lw.counters, ln.counters);
    if (lw.chains != ln.chains || lw.rules != ln.rules || lw.sets != ln.sets ||
        lw.elements != ln.elements || lw.counters != ln.counters || lw.rules != rs.rules ||
        lw.elements != rs.elements) {
        fail("the two tables differ in size: the comparison is void");
    }
    auto diff = firstDifference(lw, ln);
    std::printf("  every rule and element listed identically: %s\n",
                diff.empty() ? "yes" : ("NO, first difference: " + diff).c_str());
}

struct ChangeResult {
    unsigned policies = 0;
    size_t rules = 0;
    bench::Latency weft, noChange, raw, nftf;
    size_t minMsgs = 0, maxMsgs = 0;
    Cost weftCpu;                 ///< medians
    double viewOf = 0, diff = 0;  ///< medians, ms
};

// (2) One policy chain's port rule toggled, `rounds` applies; then the same with nothing
// changed, the same messages sent straight to the kernel, and the same change by nft -f.
ChangeResult oneChain(unsigned policies, unsigned rounds, unsigned nftRounds) {
    ChangeResult out;
    out.policies = policies;
    auto rs = bench::policyRuleset(kTable, kOwner, policies);
    out.rules = rs.rules;
    std::vector<nft::Table> desired{std::move(rs.table)};
    nft({"flush", "ruleset"});
    kernel::NftEngine engine(kernel::NftEngine::Options{false});
    check(engine.apply(kOwner, desired));
    // Witnesses that nothing else is rewritten: other chains' rule handles stay as they are.
    auto others = [&] {
        return capture("nft -a list chain inet " + kTable + " forward") +
               capture("nft -a list chain inet " + kTable + " pol_0") +
               capture("nft -a list chain inet " + kTable + " " + bench::policyChain(policies - 1));
    };
    auto before = others();

    const unsigned k = policies / 2;
    const uint16_t ports[2] = {uint16_t(bench::basePort(k) + 1), bench::basePort(k)};
    auto& chain = desired[0].chains.at(1 + k);  // chains: forward, pol_0, pol_1, ...
    if (chain.name != bench::policyChain(k))
        fail("unexpected chain order");
    std::vector<double> lat;
    std::vector<Cost> costs;
    out.minMsgs = SIZE_MAX;
    for (unsigned i = 0; i < rounds; ++i) {
        chain.rules = bench::rulesOf(bench::policyRules(k, ports[i % 2]));
        kernel::ApplyResult r;
        costs.push_back(measure([&] { r = engine.apply(kOwner, desired); }));
        lat.push_back(costs.back().wall);
        check(r);
        auto st = engine.lastBatchStats();
        if (st.messages != 1 + bench::kPolicyRules || st.elements != 0 ||
            r.changes != 1 + bench::kPolicyRules) {
            fail("one changed chain sent " + std::to_string(st.messages) + " messages (" +
                 std::to_string(st.elements) + " elements), expected a flush and " +
                 std::to_string(bench::kPolicyRules) + " rules");
        }
        out.minMsgs = std::min(out.minMsgs, st.messages);
        out.maxMsgs = std::max(out.maxMsgs, st.messages);
    }
    out.weft = bench::latency(lat);
    out.weftCpu = median(costs);

    lat.clear();
    for (unsigned i = 0; i < rounds / 2; ++i) {
        auto t0 = Clock::now();
        auto r = engine.apply(kOwner, desired);
        lat.push_back(ms(Clock::now() - t0));
        check(r);
        if (engine.lastBatchStats().messages != 0)
            fail("a no-change apply sent messages");
    }
    out.noChange = bench::latency(lat);

    lat.clear();
    for (unsigned i = 0; i < 9; ++i) {
        auto t0 = Clock::now();
        auto hashed = kernel::nft::viewOf(desired[0]);
        lat.push_back(ms(Clock::now() - t0));
    }
    out.viewOf = median(lat);

    // ... and the diff of two equal views (what a no-change apply compares).
    kernel::nft::Target target{nft::TableFamily::Inet, kTable};
    lat.clear();
    auto view = kernel::nft::viewOf(desired[0]);
    for (unsigned i = 0; i < 9; ++i) {
        uint32_t setId = 1;
        auto t0 = Clock::now();
        auto msgs = kernel::nft::diffTable(target, kOwner, 0, view, view, desired[0], setId);
        lat.push_back(ms(Clock::now() - t0));
        if (!msgs.empty())
            fail("equal views differ");
    }
    out.diff = median(lat);

    // Baseline 1: the same flush + rules, encoded once, sent straight (no diff, no cache).
    kernel::nft::NftSocket sock;
    std::vector<kernel::nft::BatchMessage> batches[2];
    for (int b = 0; b < 2; ++b) {
        batches[b].push_back(kernel::nft::flushChain(target, chain.name));
        for (auto& r : bench::rulesOf(bench::policyRules(k, ports[b])))
            batches[b].push_back(kernel::nft::newRule(target, chain.name, r));
    }
    lat.clear();
    for (unsigned i = 0; i < rounds; ++i) {
        auto t0 = Clock::now();
        auto errors = sock.sendBatch(batches[i % 2]);
        lat.push_back(ms(Clock::now() - t0));
        if (!errors.empty())
            fail("raw batch: " + errors.front());
    }
    out.raw = bench::latency(lat);

    // Baseline 2: the same change as an nft -f file.
    for (int b = 0; b < 2; ++b)
        writeFile(kFile + "-" + std::to_string(b) + ".nft",
                  bench::chainChangeText(kTable, k, ports[b]));
    lat.clear();
    for (unsigned i = 0; i < nftRounds; ++i) {
        lat.push_back(nft({"-f", kFile + "-" + std::to_string(i % 2) + ".nft"}).wall);
    }
    out.nftf = bench::latency(lat);
    if (others() != before)
        fail("a chain other than " + chain.name + " was rewritten");
    nft({"flush", "ruleset"});
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned chains = 2000, rounds = 100, runs = 7, nftRounds = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        unsigned v = unsigned(std::stoul(argv[i + 1]));
        if (a == "--chains")
            chains = v;
        else if (a == "--rounds")
            rounds = v;
        else if (a == "--runs")
            runs = v;
        else if (a == "--nft-rounds")
            nftRounds = v;
        else
            fail("unknown option " + a);
    }
    if (chains < 10 || rounds < 2 || runs < 1 || nftRounds < 2)
        fail("--chains >= 10, --rounds >= 2, --runs >= 1, --nft-rounds >= 2");
    if (unshare(CLONE_NEWNET) != 0) {
        std::perror("policy-bench: unshare(CLONE_NEWNET) (run as root)");
        return 1;
    }
    auto start = Clock::now();
    coldApply(chains, runs);

    std::printf(
        "(2) one changed chain: a port of policy N/2's port rule toggled, %u applies per size;\n"
        "    every apply must send exactly a flush and %u rules (NftEngine::lastBatchStats)\n",
        rounds, bench::kPolicyRules);
    std::printf(
        "  policies   rules | weft p50    p99 (user   sys) msgs | no-change p50  viewOf  diff | "
        "raw batch "
        "p50    p99 | nft -f p50    p99\n");
    std::vector<ChangeResult> results;
    for (unsigned n : {chains / 10, chains / 4, chains / 2, chains}) {
        auto r = oneChain(n, rounds, nftRounds);
        std::printf(
            "  %8u  %6zu | %8.2f %6.2f (%5.2f %5.2f) %2zu-%zu | %13.2f %7.2f %5.2f | %13.2f %6.2f "
            "| %10.2f "
            "%6.2f\n",
            r.policies, r.rules, r.weft.p50, r.weft.p99, r.weftCpu.user, r.weftCpu.sys, r.minMsgs,
            r.maxMsgs, r.noChange.p50, r.viewOf, r.diff, r.raw.p50, r.raw.p99, r.nftf.p50,
            r.nftf.p99);
        results.push_back(r);
    }
    auto& lo = results.front();
    auto& hi = results.back();
    std::printf("  flatness p99(%u policies)/p99(%u): weft %.2f, raw batch %.2f, nft -f %.2f\n",
                hi.policies, lo.policies, hi.weft.p99 / lo.weft.p99, hi.raw.p99 / lo.raw.p99,
                hi.nftf.p99 / lo.nftf.p99);
    std::printf("  weft / nft -f at %u policies: p50 %.2f\n", hi.policies,
                hi.weft.p50 / hi.nftf.p50);

    removeFiles();
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("peak RSS of the bench process: %.1f MB; total run time %.0f s\n",
                double(ru.ru_maxrss) / 1024, ms(Clock::now() - start) / 1000);
    return 0;
}
