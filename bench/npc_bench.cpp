// weave-policy at cluster scale, against weave-npc's ipset + iptables ruleset of the same
// objects, measured in the same run. Needs root; every measurement runs in a fresh private
// network namespace.
//
//   build/bench/npc-bench [--namespaces 1000] [--pods 10000] [--policies 2000] [--runs 5]
//                         [--rounds 200] [--seed 1] [--no-legacy]
//   build/bench/npc-bench --conn [--seconds 3] [--conn-rounds 3] [--no-legacy]
//
// (a) cold compile + apply (weft) vs `ipset restore` + `iptables-restore` (iptables-nft,
// Debian's default, and iptables-legacy); (b) the hot pod relabelled back and forth at 100,
// 1,000 and 10,000 pods; (c, --conn) new TCP connections per second through a bridge.
// docs/BENCHMARKS.md records a run.
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "incremental.hpp"
#include "kernel/nft/nft_engine.hpp"
#include "kernel/nft/nft_messages.hpp"
#include "kernel/nft/nft_socket.hpp"
#include "npc_conn.hpp"
#include "npc_iptables.hpp"
#include "npc_workload.hpp"
#include "policy_compiler.hpp"
#include "timing.hpp"

using namespace weft;
using weft::bench::Clock;
using weft::bench::median;
using weft::bench::ms;

namespace {

const std::string kOwner = "bench", kBridge = "weave";
const std::string kFile = "/tmp/weft-npc-bench-" + std::to_string(getpid());

void removeFiles() {
    for (auto* suffix : {".ipset", ".iptables", "-churn0.ipset", "-churn1.ipset"})
        std::remove((kFile + suffix).c_str());
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "npc-bench: %s\n", what.c_str());
    removeFiles();
    std::exit(1);
}

// A fresh, empty network namespace for this (single-threaded) process.
void freshNetns() {
    if (unshare(CLONE_NEWNET) != 0)
        fail("unshare(CLONE_NEWNET) failed (run as root)");
}

// Runs a program (no shell: its start would be counted) and returns its wall time, ms.
double run(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid;
    int status = 0;
    auto t0 = Clock::now();
    if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0 ||
        waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail(args[0] + " " + args[1] + " failed");
    return ms(Clock::now() - t0);
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

struct TableSize {
    size_t chains = 0, rules = 0, sets = 0, elements = 0;
};

TableSize sizeOf(const nft::Table& t) {
    TableSize s{t.chains.size(), 0, t.sets.size(), 0};
    for (const auto& c : t.chains)
        s.rules += c.rules.size();
    for (const auto& set : t.sets)
        s.elements += set.elements.size();
    return s;
}

weave::CompileOptions compileOptions() {
    weave::CompileOptions o;
    o.interfaces = {kBridge};
    return o;
}

struct WeftCold {
    double compile = 0, table = 0, apply = 0;
    double applyUser = 0, applySys = 0;  ///< the engine's own work, and the kernel's
    double total() const { return compile + table + apply; }
};

WeftCold weftCold(const weave::ObjectSet& objects, TableSize* size) {
    WeftCold w;
    weave::PolicyCompiler compiler;
    auto t0 = Clock::now();
    compiler.rebuild(objects, compileOptions());
    auto t1 = Clock::now();
    std::vector<nft::Table> tables(1);  // apply({table}) would copy it inside the timing
    tables[0] = compiler.table();
    const nft::Table& table = tables[0];
    auto t2 = Clock::now();
    kernel::NftEngine engine(kernel::NftEngine::Options{false});
    struct rusage a {
    }, b{};
    getrusage(RUSAGE_SELF, &a);
    check(engine.apply(kOwner, tables));
    getrusage(RUSAGE_SELF, &b);
    auto t3 = Clock::now();
    if (size)
        *size = sizeOf(table);
    return {ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), ms(b.ru_utime) - ms(a.ru_utime),
            ms(b.ru_stime) - ms(a.ru_stime)};
}

struct IptCold {
    double ipset = 0, iptables = 0;
    double total() const { return ipset + iptables; }
};

IptCold iptCold(const std::string& restore) {
    IptCold c;
    c.ipset = run({"ipset", "-file", kFile + ".ipset", "restore"});
    c.iptables = run({restore, kFile + ".iptables"});
    return c;
}

// (a) Cold compile + apply against the baselines, each side first in turn.
void coldApply(const bench::ClusterSpec& spec, unsigned runs, bool legacy) {
    auto cluster = bench::makeCluster(spec);
    weave::ObjectSet objects;
    objects.apply(cluster.objects);
    auto t0 = Clock::now();
    auto npc = bench::weaveNpcRuleset(objects, kBridge);
    double gen = ms(Clock::now() - t0);
    writeFile(kFile + ".ipset", npc.ipset);
    writeFile(kFile + ".iptables", npc.iptables);

    std::vector<std::string> sides = {"weft", "iptables-nft-restore"};
    if (legacy)
        sides.push_back("iptables-legacy-restore");
    std::vector<WeftCold> weft;
    std::vector<std::vector<IptCold>> ipt(sides.size());
    TableSize size;
    for (unsigned r = 0; r < runs; ++r)
        for (size_t k = 0; k < sides.size(); ++k) {
            size_t side = (k + r) % sides.size();
            freshNetns();
            if (side == 0)
                weft.push_back(weftCold(objects, r == 0 ? &size : nullptr));
            else
                ipt[side].push_back(iptCold(sides[side]));
        }

    std::printf(
        "(a) cold compile + apply: %zu namespaces, %zu pods, %u policies; median of %u runs, each "
        "in a fresh netns\n",
        objects.namespaces().size(), objects.pods().size(), cluster.policies, runs);
    std::printf("  weft table: %zu chains, %zu rules, %zu sets and maps, %zu elements\n",
                size.chains, size.rules, size.sets, size.elements);
    std::printf(
        "  weave-npc ruleset: %zu ipsets, %zu entries, %zu iptables rules (text generated in "
        "%.0f ms, not timed below)\n",
        npc.sets, npc.setEntries, npc.rules, gen);
    auto med = [](auto& v, auto f) {
        std::vector<double> x;
        for (auto& c : v)
            x.push_back(f(c));
        return median(x);
    };
    double wc = med(weft, [](auto& c) { return c.compile; });
    double wt = med(weft, [](auto& c) { return c.table; });
    double wa = med(weft, [](auto& c) { return c.apply; });
    double wsum = med(weft, [](auto& c) { return c.total(); });
    std::printf(
        "  weft: compile %.1f + table() %.1f + engine apply %.1f (user %.1f, sys %.1f) = %.1f "
        "ms\n",
        wc, wt, wa, med(weft, [](auto& c) { return c.applyUser; }),
        med(weft, [](auto& c) { return c.applySys; }), wsum);
    for (size_t s = 1; s < sides.size(); ++s) {
        double is = med(ipt[s], [](auto& c) { return c.ipset; });
        double it = med(ipt[s], [](auto& c) { return c.iptables; });
        double sum = med(ipt[s], [](auto& c) { return c.total(); });
        std::printf(
            "  ipset restore %.1f + %s %.1f = %.1f ms | weft / baseline %.2f (target < 1)\n", is,
            sides[s].c_str(), it, sum, wsum / sum);
    }
}

// The elements two tables' sets differ by, and the element messages that takes.
struct SetDelta {
    size_t elements = 0, messages = 0, sets = 0;
};

SetDelta setDelta(const nft::Table& a, const nft::Table& b) {
    SetDelta d;
    std::map<std::string, const nft::Set*> before;
    for (const auto& s : a.sets)
        before[s.name] = &s;
    for (const auto& s : b.sets) {
        auto it = before.find(s.name);
        if (it == before.end())
            fail("churn created set " + s.name);
        auto diff = nft::ElementSet::diff(it->second->elements, s.elements);
        d.elements += diff.removed.size() + diff.added.size();
        d.messages += (diff.removed.size() + 599) / 600 + (diff.added.size() + 599) / 600;
        d.sets += !diff.removed.empty() || !diff.added.empty();
    }
    if (a.sets.size() != b.sets.size())
        fail("churn deleted a set");
    return d;
}

struct ChurnResult {
    unsigned pods = 0;
    bench::Latency total;
    double objects = 0, podsChanged = 0, table = 0, apply = 0;  ///< p50s
    size_t elements = 0, messages = 0, sets = 0;
    double ipsetP50 = 0;            ///< the same change as one `ipset restore`, at the largest size
    double noChange = 0;            ///< p50 of an apply of the unchanged table
    double raw = 0, rawNoVmap = 0;  ///< p50 of the same element messages sent straight
};

// The element messages taking table `a` to `b` (without the verdict maps' if !vmaps).
std::vector<kernel::nft::BatchMessage> elementMessages(const nft::Table& a, const nft::Table& b,
                                                       bool vmaps) {
    kernel::nft::Target target{nft::TableFamily::Inet, b.name};
    std::vector<kernel::nft::BatchMessage> out;
    for (size_t i = 0; i < b.sets.size(); ++i) {
        const auto& s = b.sets[i];
        if (!vmaps && s.dataType == nft::DataType::Verdict)
            continue;
        auto d = nft::ElementSet::diff(a.sets.at(i).elements, s.elements);
        for (bool add : {false, true})
            if (!(add ? d.added : d.removed).empty())
                for (auto& m : kernel::nft::setElements(target, s, add ? d.added : d.removed, add))
                    out.push_back(std::move(m));
    }
    return out;
}

// The kernel's share of a churn: the same element batches sent straight, alternately.
double rawBatches(const nft::Table& a, const nft::Table& b, bool vmaps, unsigned rounds) {
    kernel::nft::NftSocket sock;
    // The kernel holds `b`: back to `a` first.
    std::vector<kernel::nft::BatchMessage> batches[2] = {elementMessages(b, a, vmaps),
                                                         elementMessages(a, b, vmaps)};
    std::vector<double> lat;
    for (unsigned i = 0; i < rounds; ++i) {
        auto t0 = Clock::now();
        auto errors = sock.sendBatch(batches[i % 2]);
        lat.push_back(ms(Clock::now() - t0));
        if (!errors.empty())
            fail("raw batch: " + errors.front());
    }
    if (rounds % 2 && !sock.sendBatch(batches[1]).empty())  // leave the kernel as `b`
        fail("raw batch back failed");
    return median(lat);
}

// The ipset lines of `text` ("add NAME ENTRY").
std::set<std::string> addLines(const std::string& text) {
    std::set<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("add ", 0) == 0)
            out.insert(line.substr(4));
    return out;
}

// The ipset restore script taking ruleset `from` to `to`.
std::string ipsetChange(const std::string& from, const std::string& to) {
    auto a = addLines(from), b = addLines(to);
    std::string out;
    for (const auto& l : a)
        if (!b.count(l))
            out += "del " + l + "\n";
    for (const auto& l : b)
        if (!a.count(l))
            out += "add " + l + "\n";
    return out;
}

// (b) The hot pod relabelled `rounds` times: ObjectSet update + podsChanged + table() + apply.
ChurnResult churn(bench::ClusterSpec spec, unsigned rounds, bool baseline) {
    freshNetns();
    auto cluster = bench::makeCluster(spec);
    weave::ObjectSet objects;
    objects.apply(cluster.objects);
    weave::PolicyCompiler compiler;
    compiler.rebuild(objects, compileOptions());
    // apply() is handed a vector of tables the caller keeps, as weftd hands it a plugin's:
    // `apply(owner, {t})` would copy the whole table (15k rules) inside the timed call.
    std::vector<nft::Table> applied(1), next(1);
    nft::Table& table = applied[0];
    table = compiler.table();
    kernel::NftEngine engine(kernel::NftEngine::Options{false});
    check(engine.apply(kOwner, applied));

    ChurnResult out;
    out.pods = unsigned(objects.pods().size());
    std::vector<double> total, obj, pc, tab, app;
    nft::Table before;
    for (unsigned i = 0; i < rounds; ++i) {
        weave::Pod pod = cluster.hot;
        pod.labels = i % 2 ? cluster.hotOn : cluster.hotOff;
        weave::ObjectKey key{weave::Kind::Pod, pod.ns, pod.name};
        auto t0 = Clock::now();
        objects.apply({pod});
        auto t1 = Clock::now();
        compiler.podsChanged(objects, {key});
        auto t2 = Clock::now();
        next[0] = compiler.table();
        auto t3 = Clock::now();
        auto r = engine.apply(kOwner, next);
        auto t4 = Clock::now();
        check(r);
        total.push_back(ms(t4 - t0));
        obj.push_back(ms(t1 - t0));
        pc.push_back(ms(t2 - t1));
        tab.push_back(ms(t3 - t2));
        app.push_back(ms(t4 - t3));
        // Set elements only: the chains are those applied before, and the batch carried
        // exactly the element messages the sets' difference takes.
        if (next[0].chains != table.chains)
            fail("a churn changed a chain");
        auto delta = setDelta(table, next[0]);
        auto st = engine.lastBatchStats();
        if (delta.elements == 0 || st.elements != delta.elements || st.messages != delta.messages)
            fail("churn " + std::to_string(i) + " sent " + std::to_string(st.messages) +
                 " messages, " + std::to_string(st.elements) + " elements; expected " +
                 std::to_string(delta.messages) + " element messages, " +
                 std::to_string(delta.elements) + " elements");
        out.elements = std::max(out.elements, delta.elements);
        out.messages = std::max(out.messages, st.messages);
        out.sets = std::max(out.sets, delta.sets);
        before = std::move(table);
        table = std::move(next[0]);
    }
    out.total = bench::latency(total);
    out.objects = median(obj);
    out.podsChanged = median(pc);
    out.table = median(tab);
    out.apply = median(app);

    // Where an apply's time goes: the engine with nothing to send, and the kernel alone.
    std::vector<double> nc;
    for (unsigned i = 0; i < 21; ++i) {
        auto t0 = Clock::now();
        check(engine.apply(kOwner, applied));
        nc.push_back(ms(Clock::now() - t0));
        if (engine.lastBatchStats().messages != 0)
            fail("a no-change apply sent messages");
    }
    out.noChange = median(nc);
    unsigned rawRounds = std::min(rounds, 50u) | 1u;
    out.raw = rawBatches(before, table, true, rawRounds);
    out.rawNoVmap = rawBatches(before, table, false, rawRounds);

    if (baseline) {
        // weave-npc's side of the same change: the hot pod's ipset entries, as one restore.
        weave::ObjectSet on = objects, off = objects;
        weave::Pod pod = cluster.hot;
        pod.labels = cluster.hotOn;
        on.apply({pod});
        pod.labels = cluster.hotOff;
        off.apply({pod});
        auto a = bench::weaveNpcRuleset(on, kBridge), b = bench::weaveNpcRuleset(off, kBridge);
        writeFile(kFile + ".ipset", a.ipset);
        writeFile(kFile + "-churn0.ipset", ipsetChange(a.ipset, b.ipset));
        writeFile(kFile + "-churn1.ipset", ipsetChange(b.ipset, a.ipset));
        run({"ipset", "-file", kFile + ".ipset", "restore"});
        std::vector<double> lat;
        for (unsigned i = 0; i < std::min(rounds, 40u); ++i)
            lat.push_back(run({"ipset", "-file",
                               kFile + "-churn" + std::to_string(i % 2) + ".ipset", "restore"}));
        out.ipsetP50 = median(lat);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    bench::ClusterSpec spec;
    unsigned runs = 5, rounds = 200;
    bench::ConnOptions conn;
    bool connMode = false, legacy = true;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--conn") {
            connMode = true;
            continue;
        }
        if (a == "--no-legacy") {
            legacy = false;
            continue;
        }
        if (i + 1 >= argc)
            fail("option " + a + " needs a value");
        unsigned v = unsigned(std::stoul(argv[++i]));
        if (a == "--namespaces")
            spec.namespaces = v;
        else if (a == "--pods")
            spec.pods = v;
        else if (a == "--policies")
            spec.policies = v;
        else if (a == "--runs")
            runs = v;
        else if (a == "--rounds")
            rounds = v;
        else if (a == "--seed")
            spec.seed = v;
        else if (a == "--seconds")
            conn.seconds = v;
        else if (a == "--conn-rounds")
            conn.rounds = v;
        else
            fail("unknown option " + a);
    }
    if (spec.namespaces < 600 || spec.pods < 100 || spec.policies < 60 || runs < 1 || rounds < 2)
        fail("--namespaces >= 600, --pods >= 100, --policies >= 60, --runs >= 1, --rounds >= 2");
    auto start = Clock::now();
    if (connMode) {
        conn.legacy = legacy;
        conn.cluster = spec;
        int rc = bench::connBench(conn);
        removeFiles();
        return rc;
    }

    auto hotCluster = bench::makeCluster(spec);
    auto hotOff = hotCluster.hot;
    hotOff.labels = hotCluster.hotOff;
    std::printf(
        "the hot pod (%s/%s) is picked by %u policies' selections; by its labels: %u (those "
        "whose selectors a relabelling changes)\n",
        hotCluster.hot.ns.c_str(), hotCluster.hot.name.c_str(),
        bench::policiesSelecting(hotCluster.objects, hotCluster.hot),
        bench::policiesChanging(hotCluster.objects, hotCluster.hot, hotOff));
    coldApply(spec, runs, legacy);

    std::printf(
        "(b) churn: the hot pod relabelled (on <-> off) %u times per size; each = ObjectSet "
        "update + podsChanged + table() + engine apply; ms\n",
        rounds);
    std::printf(
        "      pods |  p50     p99     max | p50 parts: objects podsChanged table() apply | "
        "elements msgs sets | no-change apply | raw batch, without vmaps\n");
    std::vector<ChurnResult> results;
    for (unsigned pods : {100u, 1000u, spec.pods}) {
        if (pods > spec.pods || (!results.empty() && pods == results.back().pods))
            continue;
        auto s = spec;
        s.pods = pods;
        auto r = churn(s, rounds, pods == spec.pods);
        std::printf(
            "  %8u | %5.2f %6.2f %7.2f |           %5.3f       %5.3f   %5.3f %5.3f | %8zu %4zu "
            "%4zu | %15.2f | %9.2f %5.2f\n",
            r.pods, r.total.p50, r.total.p99, r.total.max, r.objects, r.podsChanged, r.table,
            r.apply, r.elements, r.messages, r.sets, r.noChange, r.raw, r.rawNoVmap);
        results.push_back(r);
    }
    auto& lo = results.front();
    auto& hi = results.back();
    std::printf(
        "  every churn sent set elements only (no chain replaced, messages = the sets' element "
        "messages): yes\n");
    std::printf(
        "  p99 at %u pods %.2f ms (target < 10); p99(%u)/p99(%u) %.2f, p50 ratio %.2f "
        "(target: flat)\n",
        hi.pods, hi.total.p99, hi.pods, lo.pods, hi.total.p99 / lo.total.p99,
        hi.total.p50 / lo.total.p50);
    std::printf(
        "  the same change as one `ipset restore` (weave-npc's sets) at %u pods: p50 %.2f "
        "ms\n",
        hi.pods, hi.ipsetP50);
    removeFiles();
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("peak RSS of the bench process: %.1f MB; total run time %.0f s\n",
                double(ru.ru_maxrss) / 1024, ms(Clock::now() - start) / 1000);
    return 0;
}
