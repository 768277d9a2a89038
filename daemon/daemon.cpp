#include "daemon.hpp"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <algorithm>

#include "bus_text.hpp"
#include "kernel/rtnl/sysctl.hpp"
#include "lease_check.hpp"
#include "log.hpp"
#include "weft_build_config.h"

namespace weft {

using namespace std::chrono_literals;

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)), cluster_(loop_, WEFT_VERSION) {}

Daemon::~Daemon() {
    // Plugins (and everything they registered) go before the bus and the loop they used.
    slots_.clear();
    manager_.reset();
    bus_.reset();
}

void Daemon::setState(const std::string& s) {
    if (state_ == s)
        return;
    state_ = s;
    if (manager_)
        manager_->announceState();
}

void Daemon::startKernel() {
    engines_.nft = std::make_unique<kernel::NftEngine>(
        kernel::NftEngine::Options{.ownerFlag = settings_.nftOwnerFlag});
    engines_.routes = std::make_unique<kernel::RouteEngine>(uint8_t(WEFT_RTPROTO));
    engines_.links = std::make_unique<kernel::LinkEngine>();
    engines_.wireguard = std::make_unique<kernel::WireguardEngine>(engines_.links.get());
    reconciler_ = std::make_unique<Reconciler>(engines_, options_.runtimeRoot / "applied.json");
    links_ = engines_.links->links();
}

void Daemon::startBus() {
    bus_ = std::make_unique<BusConnection>(loop_.get());
    manager_ = std::make_unique<ManagerObject>(bus_->connection(), *this);
    cluster_.onStateChanged([this](ClusterState) {
        if (manager_)
            manager_->announceClusterState();
    });
}

// Drift repair: someone else changed weft-owned state -> re-converge. Our own changes are
// filtered (nft) or harmless (rtnl: the next reconcile is a no-op).
void Daemon::watchKernel() {
    nftMonitor_ = std::make_unique<kernel::NftMonitor>(engines_.nft->portId());
    loop_.addReadable(nftMonitor_->fd(), [this] {
        auto tables = nftMonitor_->drain();
        if (tables.empty())
            return;
        for (auto& t : tables) {
            logMessage(LogLevel::Warning, {},
                       "drift: nftables table " + t + " was changed by someone else; repairing");
            engines_.nft->invalidate(t);
        }
        requestReconcile();
    });
    rtnlMonitor_ = std::make_unique<kernel::RtnlMonitor>(
        uint8_t(WEFT_RTPROTO),
        std::vector<uint32_t>{engines_.routes->portId(), engines_.links->portId()});
    loop_.addReadable(rtnlMonitor_->fd(), [this] {
        auto ev = rtnlMonitor_->drain();
        if (ev.links)
            refreshLinks();
        if (ev.weftRoutes || ev.weftRules) {
            logMessage(LogLevel::Warning, {},
                       std::string("drift: weft's ") +
                           (ev.weftRoutes && ev.weftRules ? "routes and ip rules were"
                            : ev.weftRoutes               ? "routes were"
                                                          : "ip rules were") +
                           " changed by someone else; repairing");
        }
        if (ev.weftRoutes || ev.weftRules || ev.links) {
            engines_.routes->invalidate();  // the kernel (a downed link) or someone else
            requestReconcile();
        }
    });
    // WireGuard devices and sysctls announce no change (wireguard-go has no notifications at
    // all): what weft applied is read back and compared once a second.
    loop_.addTimer(1s, true, [this] {
        auto drift = reconciler_->drift();
        for (auto& d : drift)
            logMessage(LogLevel::Warning, {}, "drift: " + d + "; repairing");
        if (!drift.empty())
            requestReconcile();
    });
}

void Daemon::refreshLinks() {
    auto now = engines_.links->links();
    if (now == links_)
        return;
    links_ = std::move(now);
    for (auto& s : slots_) {
        if (s->host && s->state != "failed")
            s->host->notifyLinksChanged();
    }
}

void Daemon::requestReconcile() {
    if (reconcileScheduled_)
        return;
    reconcileScheduled_ = true;
    // Requests within a few ms coalesce into one reconcile; a failing apply that keeps being
    // retriggered is held to a few attempts a second.
    auto sinceLast = std::chrono::steady_clock::now() - lastReconcile_;
    auto delay = sinceLast < 200ms ? 200ms : 5ms;
    loop_.addTimer(delay, false, [this] {
        reconcileScheduled_ = false;
        reconcileNow();
    });
}

void Daemon::reconcileOne(PluginSlot& slot) {
    DesiredState desired;
    try {
        desired = slot.plugin->desiredState();
    } catch (const std::exception& e) {
        std::string why = errorReport(e);
        logMessage(LogLevel::Error, slot.name, "desired state failed: " + why);
        slot.fail(why);
        return;
    }
    auto violations = leaseViolations(slot.lease, desired);
    if (!violations.empty()) {
        std::string msg =
            busText("desired state leaves the lease: " + joinLimited(violations, "; "));
        logMessage(LogLevel::Error, slot.name, msg);
        slot.fail(msg);
        return;
    }
    unsigned changes = 0;
    auto errors = reconciler_->apply(slot.name, slot.lease, desired, changes);
    if (!errors.empty()) {
        std::string msg = busText(joinLimited(errors, "; "));
        logMessage(LogLevel::Error, slot.name, "apply failed: " + msg);
        slot.fail(msg);
        return;
    }
    if (changes)
        logMessage(LogLevel::Info, slot.name, "applied " + std::to_string(changes) + " change(s)");
    slot.ok();
}

void Daemon::reconcileNow() {
    if (flushed_)
        return;
    engines_.wireguard->startPass();
    for (auto& s : slots_) {
        if (!s->started)
            continue;
        if (s->state == "failed" && !s->config)
            continue;  // config never valid: leave its state
        reconcileOne(*s);
    }
    bool degraded =
        std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return s->state == "failed"; });
    setState(degraded ? "degraded" : "running");
    unsigned running = 0;
    for (auto& s : slots_)
        running += s->state == "running";
    sd_notifyf(0, "STATUS=%u/%zu plugins running", running, slots_.size());
}

std::optional<std::vector<WireguardPeerStatus>> Daemon::wireguardStatus(const std::string& ifname) {
    return engines_.wireguard->status(ifname);
}

bool Daemon::restartWireguardSession(const std::string& ifname, const std::string& key) {
    return engines_.wireguard->restartSession(ifname, key);
}

bool Daemon::publishSet(const std::string& fullName, const PrefixSet& set) {
    auto it = sets_.find(fullName);
    if (it != sets_.end() && it->second == set)
        return false;
    sets_[fullName] = set;
    return true;
}

std::optional<PrefixSet> Daemon::resolveSet(const std::string& fullName) const {
    auto it = sets_.find(fullName);
    if (it == sets_.end())
        return std::nullopt;
    return it->second;
}

void Daemon::flush() {
    auto errors = reconciler_->flushAll();
    flushed_ = true;
    setState("flushed");
    logMessage(LogLevel::Notice, {}, "flushed every kernel object weft owns; reload to re-apply");
    if (!errors.empty()) {
        throw std::runtime_error("flush incomplete: " + joinLimited(errors, "; "));
    }
}

void Daemon::armResync() {
    loop_.cancel(resyncTimer_);
    resyncTimer_ = loop_.addTimer(settings_.resyncInterval, true, [this] {
        // Routes and rules are read back once in a while. nftables is not: weft's tables are
        // owned (nobody else can change them) or watched, and the kernel needs a second or
        // more to dump a 100,000-element interval set.
        logMessage(LogLevel::Debug, {}, "resync: re-reading routes and rules");
        engines_.routes->invalidate();
        requestReconcile();
    });
}

// A reload takes every [Daemon] setting into use; the plugins' own are applied by the caller.
void Daemon::applyDaemonSettings(const DaemonSettings& before) {
    LogLevel level;
    if (settings_.logLevel != before.logLevel && !settings_.logLevel.empty() &&
        parseLogLevel(settings_.logLevel, level))
        setLogLevel(level);
    if (settings_.resyncInterval != before.resyncInterval) {
        logMessage(
            LogLevel::Info, {},
            "ResyncInterval= is now " + std::to_string(settings_.resyncInterval.count()) + " ms");
        armResync();
    }
    if (settings_.nftOwnerFlag != before.nftOwnerFlag) {
        // The next reconcile re-creates each table with or without owner+persist, each in one
        // transaction (the kernel cannot change "persist" on a live table): no packet sees a
        // half-made table.
        logMessage(LogLevel::Info, {},
                   std::string("NftablesOwnerFlag= is now ") +
                       (settings_.nftOwnerFlag ? "yes" : "no") + "; re-creating weft's tables");
        engines_.nft->setOwnerFlag(settings_.nftOwnerFlag);
    }
    if (settings_.cluster != before.cluster) {
        // The simplest correct change: a new connection (client, lease, watches). The plugins'
        // records are written there and their watches get the difference, as after an outage.
        logMessage(LogLevel::Info, {}, "[Cluster] changed; reconnecting the cluster store");
        cluster_.configure(settings_.cluster);
    }
    // FlushOnStop= is read when weftd stops, PluginDirectory= when a plugin is loaded.
}

void Daemon::stop() {
    setState("stopping");
    sd_notify(0, "STOPPING=1");
    if (settings_.flushOnStop) {
        try {
            reconciler_->flushAll();
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, {}, std::string("flush on stop failed: ") + e.what());
        }
    }
    // Without FlushOnStop the kernel state stays: no packet is dropped across a restart.
    loop_.exit(0);
}

int Daemon::run() {
    settings_ = readSettings();
    LogLevel level;
    if (!settings_.logLevel.empty() && parseLogLevel(settings_.logLevel, level))
        setLogLevel(level);
    startKernel();
    startBus();
    cluster_.configure(settings_.cluster);  // before the plugins start: they see Connecting
    loadPlugins();
    checkLeaseConflicts();
    for (auto& s : slots_)
        startSlot(*s);
    sweepOrphans();
    watchKernel();
    loop_.addSignal(SIGTERM, [this] { stop(); });
    loop_.addSignal(SIGINT, [this] { stop(); });
    loop_.addSignal(SIGHUP, [this] {
        try {
            reload();
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, {}, std::string("reload refused:\n") + e.what());
        }
    });
    loop_.addSignal(SIGCHLD, [this] {
        for (auto& name : engines_.wireguard->reapChildren()) {
            auto delay =
                std::max(engines_.wireguard->restartDelay(name), std::chrono::milliseconds(200));
            logMessage(LogLevel::Warning, {},
                       "wireguard-go for " + name + " exited; restarting in " +
                           std::to_string(delay.count()) + " ms");
            loop_.addTimer(delay, false, [this] { requestReconcile(); });
        }
    });
    uint64_t watchdogUsec = 0;
    if (sd_watchdog_enabled(0, &watchdogUsec) > 0) {
        auto half = std::chrono::milliseconds(watchdogUsec / 2000);
        loop_.addTimer(half, true, [] { sd_notify(0, "WATCHDOG=1"); });
    }
    armResync();
    reconcileNow();
    bus_->requestName("org.weft.Weft1");
    sd_notify(0, "READY=1");
    logMessage(LogLevel::Info, {},
               std::string("weftd ") + WEFT_VERSION + " running, state " + state_);
    return loop_.run();
}

}  // namespace weft
