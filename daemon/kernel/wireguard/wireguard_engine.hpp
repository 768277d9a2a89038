// WireGuard links on either back end: the kernel's (generic netlink) or userspace wireguard-go
// (supervised, over its UAPI socket). Peers are applied by one diff: only changed peers are sent.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kernel/apply_result.hpp"
#include "kernel/wireguard/wg_device.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

class LinkEngine;
namespace wg {
class GenlClient;
}

class WireguardEngine {
  public:
    WireguardEngine();
    /// `links` creates and deletes links (borrowed; may be null, then kernel links cannot be
    /// created).
    explicit WireguardEngine(LinkEngine* links);
    ~WireguardEngine();
    WireguardEngine(const WireguardEngine&) = delete;
    WireguardEngine& operator=(const WireguardEngine&) = delete;

    /// Ensures the link exists on its back end and holds exactly the desired key, port, fwmark
    /// and peers. Does not set MTU, addresses or up (LinkEngine does). Backend=kernel without
    /// the kernel module is an error; Backend=auto then uses wireguard-go.
    ApplyResult apply(const WireguardLink& desired);
    /// Stops the link's wireguard-go, if weftd runs it, and deletes the link.
    ApplyResult remove(const std::string& ifname);
    /// Gives one peer of the link a fresh session (wg::sessionRestart), keeping its settings.
    /// False if the link or the peer is not there or the back end refused.
    bool restartSession(const std::string& ifname, const std::string& publicKey);
    /// Peers as the back end last applied for this link reports them; nullopt if unreadable.
    std::optional<std::vector<WireguardPeerStatus>> status(const std::string& ifname);
    /// How the link differs from `desired` in what apply() sets (endpoints aside: peers roam),
    /// or nullopt when it does not or cannot be read now (gone, busy: other paths report those).
    /// One read of the device: a UAPI "get" or a netlink dump. Meant to be polled.
    std::optional<std::string> drift(const WireguardLink& desired);
    /// A reconcile pass begins. Within a pass, apply() diffs against the device as status() read
    /// it (a plugin asks for status while computing its desired state) instead of reading the
    /// whole device a second time; reads from before the pass are forgotten.
    void startPass() { readThisPass_.clear(); }
    /// Reaps exited children; returns the links whose wireguard-go died.
    std::vector<std::string> reapChildren();
    /// How long to wait before the next restart attempt of a link's wireguard-go.
    std::chrono::milliseconds restartDelay(const std::string& ifname) const;
    void setRuntimeDir(std::filesystem::path dir) { runtimeDir_ = std::move(dir); }
    /// True if the kernel has WireGuard (generic netlink family "wireguard").
    static bool kernelAvailable();
    /// Peers sent by the last apply (tests, benchmarks).
    unsigned lastChangedPeers() const { return lastChangedPeers_; }

  private:
    struct Child {
        pid_t pid = 0;
        unsigned restarts = 0;
        std::chrono::steady_clock::time_point notBefore{};
    };
    struct Busy {
        std::chrono::steady_clock::time_point until{};
        std::chrono::milliseconds backoff{0};
    };
    ApplyResult ensureUserspace(const WireguardLink& desired);
    // UAPI exchanges go through these: they fail fast (UapiTimeout) while the link's
    // wireguard-go is in its busy back-off, and start or extend it when it does not answer.
    void checkNotBusy(const std::string& ifname) const;
    template <class F>
    auto uapiCall(const std::string& ifname, F&& call);
    wg::DeviceState uapiGet(const std::string& ifname);
    void uapiSet(const std::string& ifname, const std::string& body);
    ApplyResult applyUserspace(const WireguardLink& desired);
    ApplyResult applyKernel(const WireguardLink& desired);
    wg::GenlClient& genl();  // opened on first use; throws std::system_error
    bool kernelReady(bool probeAgain);

    LinkEngine* links_ = nullptr;
    std::filesystem::path runtimeDir_ = "/run/wireguard";
    std::map<std::string, Child> children_;
    std::unique_ptr<wg::GenlClient> genl_;
    bool kernelProbed_ = false;
    std::set<std::string> kernelLinks_;                    // links applied on the kernel back end
    std::map<std::string, wg::DeviceState> readThisPass_;  // by status(), taken by apply()
    std::map<std::string, Busy> busy_;                     // userspace links not answering
    std::optional<wg::DeviceState> takeRead(const std::string& ifname);
    unsigned lastChangedPeers_ = 0;
};

}  // namespace weft::kernel
