#include "wireguard_engine.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "kernel/rtnl/link_engine.hpp"
#include "wg_diff.hpp"
#include "wg_drift.hpp"
#include "wg_genl.hpp"
#include "wg_uapi.hpp"

namespace weft::kernel {

using namespace std::chrono_literals;

WireguardEngine::WireguardEngine() = default;
WireguardEngine::WireguardEngine(LinkEngine* links) : links_(links) {}
WireguardEngine::~WireguardEngine() = default;

bool WireguardEngine::kernelAvailable() {
    return wg::GenlClient::available();
}

wg::GenlClient& WireguardEngine::genl() {
    if (!genl_)
        genl_ = std::make_unique<wg::GenlClient>();
    return *genl_;
}

// Probed once: each probe of a missing family runs modprobe, and a link on Backend=auto must
// not switch back ends under its peers. Backend=kernel probes again, so a module loaded later
// is picked up.
bool WireguardEngine::kernelReady(bool probeAgain) {
    if (genl_)
        return true;
    if (kernelProbed_ && !probeAgain)
        return false;
    kernelProbed_ = true;
    try {
        genl();
        return true;
    } catch (const std::system_error&) {
        return false;
    }
}

// wireguard-go runs in the foreground as our child, in its own session: a signal to weftd's
// process group must not take the tunnel down (kernel state outlives weftd, so does the tunnel).
static pid_t spawn(const std::string& binary, const std::string& ifname) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
    }
    // Nothing of weftd's may live on in wireguard-go: an inherited nftables socket would keep
    // owning weft's tables after weftd exits, and the next weftd could not take them back.
    close_range(3, ~0U, 0);
    setenv("WG_PROCESS_FOREGROUND", "1", 1);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);  // weftd blocks signals for sd-event
    execlp(binary.c_str(), binary.c_str(), "-f", ifname.c_str(), static_cast<char*>(nullptr));
    _exit(127);
}

// Called once a UAPI "get" has failed: wireguard-go is not running or not answering.
ApplyResult WireguardEngine::ensureUserspace(const WireguardLink& d) {
    ApplyResult r;
    wg::UapiClient uapi(runtimeDir_);
    auto& child = children_[d.name];
    auto now = std::chrono::steady_clock::now();
    if (now < child.notBefore) {
        r.errors.push_back("wireguard-go for " + d.name + " is restarting (back-off)");
        return r;
    }
    if (child.pid > 0)
        kill(child.pid, SIGTERM);  // alive but not answering
    child.pid = spawn(d.wireguardGo, d.name);
    child.notBefore = now + std::chrono::seconds(std::min(30u, 1u << std::min(child.restarts, 5u)));
    ++child.restarts;
    for (int i = 0; i < 100; ++i) {  // its socket appears once the TUN device is up
        if (uapi.alive(d.name)) {
            r.changes = 1;
            return r;
        }
        int status = 0;
        if (waitpid(child.pid, &status, WNOHANG) == child.pid) {
            child.pid = 0;
            r.errors.push_back("wireguard-go (" + d.wireguardGo + ") for " + d.name +
                               " exited at start (status " +
                               std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
            return r;
        }
        std::this_thread::sleep_for(50ms);
    }
    r.errors.push_back("wireguard-go for " + d.name + " did not open " +
                       uapi.socketPath(d.name).string());
    return r;
}

ApplyResult WireguardEngine::apply(const WireguardLink& d) {
    lastChangedPeers_ = 0;
    if (d.backend == WireguardBackend::Userspace)
        return applyUserspace(d);
    if (kernelReady(d.backend == WireguardBackend::Kernel))
        return applyKernel(d);
    if (d.backend == WireguardBackend::Auto)
        return applyUserspace(d);
    ApplyResult r;
    r.errors.push_back("link " + d.name +
                       ": the kernel has no WireGuard (no generic netlink family 'wireguard'); "
                       "use Backend=userspace or auto");
    return r;
}

// While a link's wireguard-go is busy, weftd does not ask it again for a while (1 s, doubling
// to 8 s): each unanswered exchange holds the event loop for its whole deadline.
void WireguardEngine::checkNotBusy(const std::string& ifname) const {
    auto it = busy_.find(ifname);
    if (it == busy_.end())
        return;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(it->second.until -
                                                             std::chrono::steady_clock::now());
    if (left.count() > 0) {
        throw wg::UapiTimeout("wireguard-go on " + ifname +
                              " is busy (it did not answer); asking again in " +
                              std::to_string(left.count()) + " ms");
    }
}

template <class F>
auto WireguardEngine::uapiCall(const std::string& ifname, F&& call) {
    checkNotBusy(ifname);
    try {
        wg::UapiClient uapi(runtimeDir_);
        auto result = call(uapi);
        busy_.erase(ifname);
        return result;
    } catch (const wg::UapiTimeout&) {
        auto& b = busy_[ifname];
        b.backoff = b.backoff.count() ? std::min(b.backoff * 2, std::chrono::milliseconds(8s)) : 1s;
        b.until = std::chrono::steady_clock::now() + b.backoff;
        throw;
    }
}

wg::DeviceState WireguardEngine::uapiGet(const std::string& ifname) {
    return uapiCall(ifname, [&](wg::UapiClient& u) { return u.get(ifname); });
}

void WireguardEngine::uapiSet(const std::string& ifname, const std::string& body) {
    uapiCall(ifname, [&](wg::UapiClient& u) {
        u.set(ifname, body);
        return true;
    });
}

ApplyResult WireguardEngine::applyUserspace(const WireguardLink& d) {
    ApplyResult r;
    std::optional<wg::DeviceState> have = takeRead(d.name);
    try {
        if (!have)
            have = uapiGet(d.name);  // answering: alive (a liveness probe would read it twice)
    } catch (const wg::UapiTimeout& e) {
        // It runs but is busy: a restart would drop every session. This reconcile fails; the
        // drift check asks again once the back-off ends and re-converges.
        r.errors.push_back(e.what());
        return r;
    } catch (const std::exception&) {
    }
    if (!have) {
        r = ensureUserspace(d);
        if (!r.ok())
            return r;
    }
    try {
        auto change = wg::diffDevice(have ? *have : uapiGet(d.name), d);
        lastChangedPeers_ = change.changedPeers();
        if (!change.empty()) {
            // One "set" for every change, however many peers: one exchange, one deadline.
            uapiSet(d.name, wg::encodeUapiSet(change));
            r.changes += 1 + change.changedPeers();
        }
        if (children_.count(d.name) && r.changes)
            children_[d.name].restarts = 0;
    } catch (const wg::UapiTimeout& e) {
        r.errors.push_back(std::string(e.what()) +
                           "; what it did not apply is sent again at the next reconcile");
    } catch (const std::exception& e) {
        r.errors.push_back(e.what());
    }
    return r;
}

ApplyResult WireguardEngine::applyKernel(const WireguardLink& d) {
    ApplyResult r;
    try {
        wg::DeviceState have;
        try {
            auto read = takeRead(d.name);
            have = read ? std::move(*read) : genl().get(d.name);
        } catch (const std::system_error& e) {
            if (e.code().value() != ENODEV)
                throw;
            if (!links_) {
                r.errors.push_back("link " + d.name + ": missing, and no link engine to create it");
                return r;
            }
            r = links_->createWireguard(d.name);
            if (!r.ok())
                return r;
            have = genl().get(d.name);
        }
        kernelLinks_.insert(d.name);
        auto change = wg::diffDevice(have, d);
        lastChangedPeers_ = change.changedPeers();
        if (change.empty())
            return r;
        auto errors = genl().set(d.name, change);
        r.errors.insert(r.errors.end(), errors.begin(), errors.end());
        r.changes += 1 + change.changedPeers();
    } catch (const std::system_error& e) {
        std::string hint = e.code().value() == EOPNOTSUPP ? " (it is not a WireGuard link)" : "";
        r.errors.push_back("link " + d.name + ": " + e.what() + hint);
    } catch (const std::exception& e) {
        r.errors.push_back("link " + d.name + ": " + e.what());
    }
    return r;
}

ApplyResult WireguardEngine::remove(const std::string& ifname) {
    ApplyResult r;
    kernelLinks_.erase(ifname);
    busy_.erase(ifname);
    readThisPass_.erase(ifname);
    auto it = children_.find(ifname);
    if (it != children_.end() && it->second.pid > 0) {
        kill(it->second.pid, SIGTERM);
        waitpid(it->second.pid, nullptr, 0);
        children_.erase(it);
        r.changes = 1;
    }
    // Someone else's wireguard-go (an earlier weftd's child) exits when its TUN link goes.
    if (links_) {
        auto del = links_->remove(ifname);
        r.changes += del.changes;
        r.errors.insert(r.errors.end(), del.errors.begin(), del.errors.end());
    }
    std::error_code ec;
    std::filesystem::remove(runtimeDir_ / (ifname + ".sock"), ec);
    return r;
}

bool WireguardEngine::restartSession(const std::string& ifname, const std::string& publicKey) {
    try {
        bool kernel = kernelLinks_.count(ifname) != 0;
        wg::DeviceState have = kernel ? genl().get(ifname) : uapiGet(ifname);
        auto peer = std::find_if(have.peers.begin(), have.peers.end(),
                                 [&](const auto& p) { return p.publicKey == publicKey; });
        if (peer == have.peers.end())
            return false;
        auto change = wg::sessionRestart(*peer);
        readThisPass_.erase(ifname);  // what status() read is no longer the device
        if (kernel)
            return genl().set(ifname, change).empty();
        uapiSet(ifname, wg::encodeUapiSet(change));  // one set: wireguard-go applies it whole
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

std::optional<std::vector<WireguardPeerStatus>> WireguardEngine::status(const std::string& ifname) {
    try {
        std::optional<wg::DeviceState> got;
        if (kernelLinks_.count(ifname)) {
            got = genl().get(ifname);
        } else {
            try {
                got = uapiGet(ifname);
            } catch (const wg::UapiTimeout&) {
                throw;  // wireguard-go runs: this is no kernel link
            } catch (const std::exception&) {
                // No wireguard-go: a kernel link left by an earlier weftd is readable before
                // this engine's first apply (a restart must see the endpoints that worked).
                if (!kernelReady(false))
                    throw;
                got = genl().get(ifname);
                kernelLinks_.insert(ifname);
            }
        }
        const wg::DeviceState& d = readThisPass_[ifname] = std::move(*got);
        std::vector<WireguardPeerStatus> out;
        for (auto& p : d.peers)
            out.push_back({p.publicKey, p.endpoint, p.lastHandshake, p.rx, p.tx});
        return out;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<std::string> WireguardEngine::drift(const WireguardLink& desired) {
    try {
        wg::DeviceState have =
            kernelLinks_.count(desired.name) ? genl().get(desired.name) : uapiGet(desired.name);
        return wg::describeDrift(have, desired);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<wg::DeviceState> WireguardEngine::takeRead(const std::string& ifname) {
    auto it = readThisPass_.find(ifname);
    if (it == readThisPass_.end())
        return std::nullopt;
    std::optional<wg::DeviceState> d = std::move(it->second);
    readThisPass_.erase(it);  // one apply per read: after it the device has changed
    return d;
}

std::vector<std::string> WireguardEngine::reapChildren() {
    std::vector<std::string> died;
    for (auto& [name, c] : children_) {
        if (c.pid <= 0)
            continue;
        int status = 0;
        if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
            c.pid = 0;
            died.push_back(name);
        }
    }
    return died;
}

std::chrono::milliseconds WireguardEngine::restartDelay(const std::string& ifname) const {
    auto it = children_.find(ifname);
    if (it == children_.end())
        return 0ms;
    auto left = it->second.notBefore - std::chrono::steady_clock::now();
    return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

}  // namespace weft::kernel
