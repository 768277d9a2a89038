// WireGuard peer apply: WireguardEngine on a fresh wireguard-go device, against `wg setconf`
// (the same peers) and `wg set` (the same one-peer change) measured in the same run, in a
// network namespace of its own. Needs root, wireguard-go and wg.
//
//   build/bench/wg-peers-bench [--peers 1000] [--rounds 7]
//
// Prints medians and ratios; docs/BENCHMARKS.md records a run. Exit code 77: cannot run here.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernel/wireguard/wg_diff.hpp"
#include "kernel/wireguard/wg_genl_codec.hpp"
#include "kernel/wireguard/wg_uapi.hpp"
#include "kernel/wireguard/wireguard_engine.hpp"
#include "timing.hpp"
#include "weft/wireguard_key.hpp"

extern char** environ;

using namespace weft;
using weft::bench::Clock;
using weft::bench::median;
using weft::bench::ms;

namespace {

// What a signal handler needs to clean up, prepared in advance: it may only call
// async-signal-safe functions (kill, unlink, execve).
struct Emergency {
    pid_t wireguardGo = 0;
    std::string socket, conf, ip, ns;
    std::vector<char*> argv;
} emergency;

void onSignal(int) {
    if (emergency.wireguardGo > 0)
        kill(emergency.wireguardGo, SIGKILL);
    unlink(emergency.socket.c_str());
    unlink(emergency.conf.c_str());
    execve(emergency.ip.c_str(), emergency.argv.data(), environ);  // ip netns del NAME
    _exit(1);
}

pid_t spawn(const std::vector<std::string>& args, bool quiet) {
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet) {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid = 0;
    int err = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0)
        throw std::runtime_error("cannot run " + args[0]);
    return pid;
}

void run(const std::vector<std::string>& args) {
    int status = 0;
    waitpid(spawn(args, false), &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("command failed: " + args[0] + " " + args[1]);
}

// The namespace and everything in it; the destructor cleans up after a normal end or an
// exception, the signal handler after Ctrl-C.
class Sandbox {
  public:
    Sandbox(std::string ifname, std::string ip) : ifname_(std::move(ifname)) {
        emergency.ns = "weft-wgbench-" + std::to_string(getpid());
        emergency.ip = std::move(ip);
        emergency.socket = uapi_.socketPath(ifname_).string();
        emergency.conf = "/tmp/" + emergency.ns + ".conf";
        for (const char* a : {"ip", "netns", "del"})
            emergency.argv.push_back(const_cast<char*>(a));
        emergency.argv.push_back(emergency.ns.data());
        emergency.argv.push_back(nullptr);
        run({"ip", "netns", "add", emergency.ns});
        try {
            for (int sig : {SIGINT, SIGTERM, SIGHUP})
                signal(sig, onSignal);
            int fd = open(("/run/netns/" + emergency.ns).c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || setns(fd, CLONE_NEWNET) != 0)
                throw std::runtime_error("cannot enter network namespace " + emergency.ns);
            close(fd);
            run({"ip", "link", "set", "lo", "up"});
        } catch (...) {
            cleanUp();  // the destructor does not run for a half-built object
            throw;
        }
    }
    ~Sandbox() { cleanUp(); }
    const std::string& conf() const { return emergency.conf; }

    // A fresh device: a new wireguard-go in the foreground, as weftd runs it.
    void start() {
        stop();
        setenv("WG_PROCESS_FOREGROUND", "1", 1);
        emergency.wireguardGo = spawn({"wireguard-go", "-f", ifname_}, true);
        for (int i = 0; i < 500; ++i) {
            if (uapi_.alive(ifname_))
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        throw std::runtime_error("wireguard-go did not open " + emergency.socket);
    }
    void stop() {
        if (emergency.wireguardGo <= 0)
            return;
        kill(emergency.wireguardGo, SIGTERM);
        waitpid(emergency.wireguardGo, nullptr, 0);
        emergency.wireguardGo = 0;
        unlink(emergency.socket.c_str());
    }
    size_t peers() const { return uapi_.get(ifname_).peers.size(); }

  private:
    void cleanUp() noexcept {
        stop();
        unlink(emergency.conf.c_str());
        int status = 0;
        try {
            waitpid(spawn({emergency.ip, "netns", "del", emergency.ns}, false), &status, 0);
        } catch (const std::exception&) {
            status = 1;
        }
        if (status != 0)
            std::fprintf(stderr, "bench: could not delete netns %s\n", emergency.ns.c_str());
    }

    std::string ifname_;
    kernel::wg::UapiClient uapi_{"/run/wireguard"};
};

WireguardLink makeLink(const std::string& ifname, unsigned n) {
    WireguardLink l;
    l.name = ifname;
    l.backend = WireguardBackend::Userspace;
    l.privateKey = wg::generatePrivateKey();
    l.listenPort = 51820;
    for (unsigned i = 0; i < n; ++i) {
        WireguardPeer p;
        p.publicKey = *wg::publicKeyFor(wg::generatePrivateKey());
        std::string mid = std::to_string(i >> 8) + "." + std::to_string(i & 255);
        p.allowedIps = {*Prefix::parse("10.100." + mid + "/32"),
                        *Prefix::parse("fd00::100:" + std::to_string(i) + "/128")};
        p.endpoint = Endpoint::parse("127.0." + mid + ":51820");  // loopback; the link stays down
        p.persistentKeepalive = std::chrono::seconds(25);
        l.peers.push_back(p);
    }
    return l;
}

void writeConf(const WireguardLink& l, const std::string& path) {
    std::ofstream f(path);
    f << "[Interface]\nPrivateKey = " << l.privateKey << "\nListenPort = " << l.listenPort << "\n";
    for (auto& p : l.peers) {
        f << "\n[Peer]\nPublicKey = " << p.publicKey << "\nAllowedIPs = " << p.allowedIps[0].str()
          << ", " << p.allowedIps[1].str() << "\nEndpoint = " << p.endpoint->str()
          << "\nPersistentKeepalive = " << p.persistentKeepalive.count() << "\n";
    }
}

std::string findIp() {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
        if (access(p, X_OK) == 0)
            return p;
    return {};
}

struct Times {
    std::vector<double> full, one, none;
};

void check(const kernel::ApplyResult& r, unsigned peers, unsigned want) {
    if (!r.ok())
        throw std::runtime_error("apply: " + r.errors.front());
    if (peers != want)
        throw std::runtime_error("apply sent " + std::to_string(peers) + " peers, expected " +
                                 std::to_string(want));
}

}  // namespace

int main(int argc, char** argv) {
    unsigned npeers = 1000, rounds = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--peers")
            npeers = unsigned(std::stoul(argv[i + 1]));
        if (a == "--rounds")
            rounds = unsigned(std::stoul(argv[i + 1]));
    }
    std::string ip = findIp();
    if (geteuid() != 0 || ip.empty() || access("/dev/net/tun", R_OK | W_OK) != 0) {
        std::fprintf(stderr, "bench: needs root, ip(8) and /dev/net/tun\n");
        return 77;
    }
    try {
        std::string ifname = "wgb" + std::to_string(getpid() % 1000000);
        Sandbox box(ifname, ip);
        auto link = makeLink(ifname, npeers);
        auto changed = link;
        auto& moved = changed.peers[npeers / 2];
        moved.allowedIps = {*Prefix::parse("10.200.0.1/32"), *Prefix::parse("fd00::200:1/128")};
        writeConf(link, box.conf());
        std::vector<std::string> wgSet = {"wg",
                                          "set",
                                          ifname,
                                          "peer",
                                          moved.publicKey,
                                          "allowed-ips",
                                          "10.200.0.1/32,fd00::200:1/128"};
        Times base, weft;
        for (unsigned r = 0; r < rounds; ++r) {
            for (int side = 0; side < 2; ++side) {
                box.start();
                if ((side + r) % 2 == 0) {  // alternate who goes first
                    auto t0 = Clock::now();
                    run({"wg", "setconf", ifname, box.conf()});
                    base.full.push_back(ms(Clock::now() - t0));
                    t0 = Clock::now();
                    run(wgSet);
                    base.one.push_back(ms(Clock::now() - t0));
                } else {
                    kernel::WireguardEngine engine;
                    auto t0 = Clock::now();
                    auto a = engine.apply(link);
                    weft.full.push_back(ms(Clock::now() - t0));
                    check(a, engine.lastChangedPeers(), npeers);
                    t0 = Clock::now();
                    auto b = engine.apply(changed);
                    weft.one.push_back(ms(Clock::now() - t0));
                    check(b, engine.lastChangedPeers(), 1);
                    t0 = Clock::now();
                    auto c = engine.apply(changed);
                    weft.none.push_back(ms(Clock::now() - t0));
                    check(c, engine.lastChangedPeers(), 0);
                }
                if (box.peers() != npeers)
                    throw std::runtime_error("device does not hold every peer");
            }
        }
        box.stop();

        // The kernel back end's encoding, which this machine cannot send: pure CPU time.
        auto change = kernel::wg::diffDevice({}, link);
        auto t0 = Clock::now();
        auto msgs = kernel::wg::genl::encodeSetDevice(ifname, change, 0x20, 1);
        double encode = ms(Clock::now() - t0);

        std::printf("WireGuard peer apply, %u peers x 2 allowed IPs, wireguard-go, median of %u\n",
                    npeers, rounds);
        std::printf("  full apply   wg setconf %8.2f ms   weft %8.2f ms   ratio %.2f\n",
                    median(base.full), median(weft.full), median(weft.full) / median(base.full));
        std::printf("  one peer     wg set     %8.2f ms   weft %8.2f ms   ratio %.2f\n",
                    median(base.one), median(weft.one), median(weft.one) / median(base.one));
        std::printf("  no change                            weft %8.2f ms   (0 peers sent)\n",
                    median(weft.none));
        std::printf("  netlink encoding of %u peers: %.2f ms, %zu messages of <= %zu bytes\n",
                    npeers, encode, msgs.size(), kernel::wg::genl::kDefaultMessageLimit);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
