#include "npc_conn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernel/nft/nft_engine.hpp"
#include "npc_iptables.hpp"
#include "policy_compiler.hpp"

namespace weft::bench {
namespace {

using Clock = std::chrono::steady_clock;
const std::string kOwner = "bench";
const std::string kFile = "/tmp/weft-npc-conn-" + std::to_string(getpid());

void sh(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0)
        throw std::runtime_error("command failed: " + cmd);
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    if (!f)
        throw std::runtime_error("cannot write " + path);
}

// A network namespace of a pod: made by a short-lived thread's unshare, kept by an fd.
struct PodNs {
    int fd = -1;
    std::string path;  ///< /proc/<pid>/fd/<fd>: what ip and nsenter open
    PodNs() {
        std::thread([this] {
            if (unshare(CLONE_NEWNET) == 0)
                fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        }).join();
        if (fd < 0)
            throw std::runtime_error("cannot make a pod network namespace");
        path = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd);
    }
    ~PodNs() { close(fd); }
    void enter() const {
        if (setns(fd, CLONE_NEWNET) != 0)
            throw std::runtime_error("setns failed");
    }
};

sockaddr_in serverAddr() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kConnPort);
    inet_pton(AF_INET, kConnServerIp, &a.sin_addr);
    return a;
}

void lingerZero(int fd) {
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

// Accepts and resets connections until stopped, in the server pod.
class Server {
  public:
    explicit Server(const PodNs& ns) {
        std::atomic<int> ready{0};
        thread_ = std::thread([&, this] {
            ns.enter();
            fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            int one = 1;
            setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            auto a = serverAddr();
            bool ok =
                bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(fd_, 4096) == 0;
            ready = ok ? 1 : -1;
            while (ok) {
                int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) {
                    if (stop_)
                        break;
                    continue;
                }
                // A plain close: a FIN the client answers with its RST (it closes with
                // SO_LINGER 0). An RST from here could beat the client's connect() to
                // its SYN-ACK and fail it.
                close(c);
            }
        });
        while (ready == 0)
            std::this_thread::yield();
        if (ready < 0) {
            thread_.join();
            throw std::runtime_error("the server cannot listen");
        }
    }
    ~Server() {
        stop_ = true;
        shutdown(fd_, SHUT_RDWR);  // wakes accept
        thread_.join();
        close(fd_);
    }

  private:
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// One connection attempt from the client pod, bounded by `timeoutMs`.
bool probe(const PodNs& client, int timeoutMs) {
    bool ok = false;
    std::thread([&] {
        client.enter();
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        auto a = serverAddr();
        connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        pollfd p{fd, POLLOUT, 0};
        int err = 1;
        socklen_t len = sizeof err;
        if (poll(&p, 1, timeoutMs) == 1)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        ok = err == 0;
        lingerZero(fd);
        close(fd);
    }).join();
    return ok;
}

struct Rate {
    double perSecond = 0;
    unsigned long failures = 0;
    int lastErrno = 0;  ///< of a failed connect
};

// Client threads connecting and resetting for `seconds`.
Rate measure(const PodNs& client, unsigned threads, double seconds) {
    std::atomic<unsigned long> done{0}, failed{0};
    std::atomic<int> lastErrno{0};
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(seconds));
    std::vector<std::thread> pool;
    auto t0 = Clock::now();
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            client.enter();
            auto a = serverAddr();
            timeval tv{1, 0};  // a dropped SYN must not stall the thread for long
            unsigned long n = 0, f = 0;
            while (Clock::now() < deadline) {
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
                if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
                    ++n;
                else {
                    ++f;
                    lastErrno = errno;
                }
                lingerZero(fd);
                close(fd);
            }
            done += n;
            failed += f;
        });
    for (auto& t : pool)
        t.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    return {double(done) / elapsed, failed, lastErrno};
}

// One ruleset to measure under: how to load and unload it.
struct Config {
    std::string name;
    std::function<void()> load, unload;
};

void destroyIpsets() {
    // The nft backend releases its set references after the table is gone; retry briefly.
    for (int i = 0; i < 50; ++i) {
        // Flushed first: a list:set's members are in use until it is emptied.
        if (std::system("ipset flush && ipset destroy 2>/dev/null") == 0)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("ipset destroy kept failing");
}

void removeFiles(const ConnOptions& o) {
    for (unsigned p : {10u, o.cluster.policies})
        for (auto* ext : {".ipset", ".iptables"})
            std::remove((kFile + "-" + std::to_string(p) + ext).c_str());
}

}  // namespace

int connBench(const ConnOptions& o) {
    if (unshare(CLONE_NEWNET) != 0) {
        std::perror("npc-bench: unshare(CLONE_NEWNET) (run as root)");
        return 1;
    }
    try {
        PodNs server, client;
        sh("ip link set lo up && ip link add weave type bridge && ip link set weave up");
        sh("ip link add vs type veth peer name eth0 netns " + server.path +
           " && ip link add vc type veth peer name eth0 netns " + client.path +
           " && ip link set vs master weave up && ip link set vc master weave up");
        for (auto [ns, ip] : {std::pair{&server, kConnServerIp}, {&client, kConnClientIp}})
            sh("nsenter --net=" + ns->path +
               " sh -c 'ip link set lo up && ip link set eth0 up && " + "ip addr add " + ip +
               "/10 dev eth0 && " + "sysctl -qw net.ipv4.ip_local_port_range=\"1024 65000\"'");
        writeFile("/proc/sys/net/bridge/bridge-nf-call-iptables", "1\n");
        Server listener(server);
        // The new links may take a moment (bridge port state, ARP).
        bool up = false;
        for (int i = 0; i < 10 && !up; ++i)
            up = probe(client, 1000);
        if (!up)
            throw std::runtime_error("no connection without rules");

        // The two cluster sizes, as weft tables and as weave-npc rulesets.
        kernel::NftEngine engine(kernel::NftEngine::Options{false});
        std::vector<Config> configs{{"no rules", [] {}, [] {}}};
        std::vector<Config> legacy;
        std::vector<std::string> sizes;
        for (unsigned policies : {10u, o.cluster.policies}) {
            ClusterSpec spec = o.cluster;
            spec.policies = policies;
            spec.hotPolicies = 0;
            spec.connPods = true;
            auto cluster = makeCluster(spec);
            weave::ObjectSet objects;
            objects.apply(cluster.objects);
            weave::PolicyCompiler compiler;
            weave::CompileOptions co;
            co.interfaces = {"weave"};
            compiler.rebuild(objects, co);
            auto table = compiler.table();
            auto npc = weaveNpcRuleset(objects, "weave");
            std::string files = kFile + "-" + std::to_string(policies);
            writeFile(files + ".ipset", npc.ipset);
            writeFile(files + ".iptables", npc.iptables);
            size_t rules = 0;
            for (const auto& c : table.chains)
                rules += c.rules.size();
            char line[200];
            std::snprintf(line, sizeof line,
                          "%u policies: weft %zu chains %zu rules | weave-npc %zu iptables rules, "
                          "%zu ipsets",
                          cluster.policies, table.chains.size(), rules, npc.rules, npc.sets);
            sizes.push_back(line);
            std::string p = std::to_string(policies);
            configs.push_back({"weft " + p,
                               [&engine, table] {
                                   auto r = engine.apply(kOwner, {table});
                                   if (!r.ok())
                                       throw std::runtime_error(r.errors.front());
                               },
                               [&engine] { engine.removeOwner(kOwner); }});
            configs.push_back({"iptables-nft " + p,
                               [files] {
                                   sh("ipset -file " + files + ".ipset restore && " +
                                      "iptables-nft-restore " + files + ".iptables");
                               },
                               [] {
                                   sh("nft delete table ip filter");
                                   destroyIpsets();
                               }});
            legacy.push_back({"iptables-legacy " + p,
                              [files] {
                                  sh("ipset -file " + files + ".ipset restore && " +
                                     "iptables-legacy-restore " + files + ".iptables");
                              },
                              [] {
                                  sh("iptables-legacy -F && iptables-legacy -X");
                                  destroyIpsets();
                              }});
        }
        std::printf(
            "(c) new TCP connections per second, client pod -> server pod through the bridge; "
            "%u client threads, %u s per measurement, median of %u\n",
            o.clients, o.seconds, o.rounds);
        for (const auto& s : sizes)
            std::printf("  %s\n", s.c_str());

        std::vector<std::vector<double>> rates(configs.size() + legacy.size());
        auto one = [&](const Config& c, size_t index) {
            c.load();
            sh("conntrack -F >/dev/null 2>&1 || true");
            bool up = false;
            for (int i = 0; i < 3 && !up; ++i)
                up = probe(client, 1000);
            if (!up) {
                // Where the SYN went: the rules that counted packets.
                int shown =
                    std::system(c.name.rfind("iptables", 0) == 0
                                    ? ("iptables-" + c.name.substr(9, c.name.find(' ') - 9) +
                                       "-save -c | grep -v '^\\[0:0\\]' >&2")
                                          .c_str()
                                    : "nft list ruleset | grep -i packets >&2");
                (void)shown;  // diagnostics only
                if (std::getenv("NPC_BENCH_DEBUG"))
                    std::this_thread::sleep_for(std::chrono::seconds(40));
                throw std::runtime_error(c.name + ": the client cannot connect");
            }
            measure(client, o.clients, 0.3);  // warm-up
            auto r = measure(client, o.clients, o.seconds);
            if (std::getenv("NPC_BENCH_DEBUG"))
                for (auto* ns : {&server, &client})
                    if (std::system(("nsenter --net=" + ns->path +
                                     " nstat -a | grep -iE 'listen|retrans|reset|drop|timeout' >&2")
                                        .c_str()) != 0)
                        std::fprintf(stderr, "  (nstat failed)\n");
            c.unload();
            if (r.failures > 0)
                std::printf("  (%s: %lu connections failed, the last with %s)\n", c.name.c_str(),
                            r.failures, std::strerror(r.lastErrno));
            rates[index].push_back(r.perSecond);
        };
        for (unsigned round = 0; round < o.rounds; ++round)
            for (size_t k = 0; k < configs.size(); ++k) {
                size_t i = (k + round) % configs.size();
                one(configs[i], i);
            }
        if (o.legacy)  // last: the legacy filter table's hooks stay once registered
            for (unsigned round = 0; round < o.rounds; ++round)
                for (size_t k = 0; k < legacy.size(); ++k)
                    one(legacy[k], configs.size() + k);

        std::vector<double> med(rates.size());
        for (size_t i = 0; i < rates.size(); ++i) {
            if (rates[i].empty())
                continue;
            auto v = rates[i];
            std::sort(v.begin(), v.end());
            med[i] = v[v.size() / 2];
            std::string all;
            for (double r : rates[i])
                all += " " + std::to_string(long(r));
            std::printf(
                "  %-22s %8.0f conn/s  (runs:%s)\n",
                (i < configs.size() ? configs[i].name : legacy[i - configs.size()].name).c_str(),
                med[i], all.c_str());
        }
        // configs: none, weft 10, ipt 10, weft N, ipt N; legacy: 10, N.
        std::printf("  rate at %u policies / rate at 10: weft %.2f, iptables-nft %.2f",
                    o.cluster.policies, med[3] / med[1], med[4] / med[2]);
        if (o.legacy)
            std::printf(", iptables-legacy %.2f", med[6] / med[5]);
        std::printf(" (target for weft: >= 0.90)\n");
        std::printf(
            "  weft / iptables-nft: %.2f at 10 policies, %.2f at %u; weft / no rules: %.2f, "
            "%.2f\n",
            med[1] / med[2], med[3] / med[4], o.cluster.policies, med[1] / med[0], med[3] / med[0]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "npc-bench: %s\n", e.what());
        removeFiles(o);
        return 1;
    }
    removeFiles(o);
    return 0;
}

}  // namespace weft::bench
