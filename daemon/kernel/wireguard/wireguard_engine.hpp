// WireGuard links: the userspace back end (wireguard-go, supervised, over its UAPI socket)
// and detection of the kernel back end. Peers are applied by diff: only changed peers are sent.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernel/apply_result.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

class LinkEngine;

class WireguardEngine {
  public:
    WireguardEngine();
    explicit WireguardEngine(LinkEngine* links);  ///< used to delete links; may be null

    /// Ensures the link exists on its back end and holds exactly the desired key, port, fwmark
    /// and peers. Does not set MTU, addresses or up (LinkEngine does).
    ApplyResult apply(const WireguardLink& desired);
    /// Stops the link's wireguard-go (or deletes the kernel link).
    ApplyResult remove(const std::string& ifname);
    std::optional<std::vector<WireguardPeerStatus>> status(const std::string& ifname);
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
    ApplyResult ensureUserspace(const WireguardLink& desired);

    LinkEngine* links_ = nullptr;
    std::filesystem::path runtimeDir_ = "/run/wireguard";
    std::map<std::string, Child> children_;
    unsigned lastChangedPeers_ = 0;
};

}  // namespace weft::kernel
