// Shared fixture for the wireguard-mesh unit tests: a temporary directory, a FakeHost that
// also counts set publications, a controllable clock and helpers to start and reload.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "fake_host.hpp"
#include "mesh_plugin.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::mesh::test {

namespace fs = std::filesystem;
using Rows = std::vector<std::map<std::string, std::string>>;

/// FakeHost plus a history of every publishSet call.
class MeshHost : public weft::test::FakeHost {
  public:
    using FakeHost::FakeHost;
    void publishSet(const std::string& name, const PrefixSet& set) override {
        publications.emplace_back(name, set);
        FakeHost::publishSet(name, set);
    }
    std::vector<std::pair<std::string, PrefixSet>> publications;
};

inline std::string newPublicKey() {
    return *wg::publicKeyFor(wg::generatePrivateKey());
}

inline std::string readFile(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void writeFile(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

/// A private key file as `umask 077; wg genkey >FILE` writes it: mode 0600.
inline void writeKeyFile(const fs::path& p, const std::string& text) {
    writeFile(p, text);
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
}

class MeshTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "weft-mesh-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir = pattern;
        host = std::make_unique<MeshHost>("wireguard-mesh", dir);
    }
    void TearDown() override {
        plugin.reset();
        host.reset();
        fs::remove_all(dir);
    }

    Config parse(const std::string& text) {
        return config::parseText(text, "wireguard-mesh.conf", meshSchema());
    }
    std::unique_ptr<MeshPlugin> make() {
        return std::make_unique<MeshPlugin>([this] { return now; });
    }
    /// A new plugin instance through validate, configure and start, on a fresh host that
    /// shares the directories (as after a daemon restart).
    MeshPlugin& start(const std::string& text) {
        plugin.reset();
        host = std::make_unique<MeshHost>("wireguard-mesh", dir);
        if (prepareHost)
            prepareHost(*host);
        plugin = make();
        Config c = parse(text);
        plugin->validate(c);
        plugin->configure(c);
        plugin->start(*host);
        return *plugin;
    }
    /// A reload as the core does it: validate, lease, configure.
    void reload(const std::string& text) {
        Config c = parse(text);
        plugin->validate(c);
        plugin->lease(c);
        plugin->configure(c);
    }
    /// Every error of validate() (or of parsing), one string each.
    std::vector<std::string> errorsOf(const std::string& text, MeshPlugin* p = nullptr) {
        auto fresh = make();
        return weft::test::validationErrors(p ? *p : *fresh, parse(text));
    }

    void advance(std::chrono::milliseconds d) { now += d; }
    int64_t unixNow() const {
        return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    }
    /// One second of the plugin's timer.
    void tick() { host->fireTimers(); }
    WireguardPeerStatus* status(const std::string& key, const std::string& link = "weft0") {
        for (auto& s : host->wgStatus[link]) {
            if (s.publicKey == key)
                return &s;
        }
        host->wgStatus[link].push_back(WireguardPeerStatus{key, std::nullopt, 0, 0, 0});
        return &host->wgStatus[link].back();
    }
    Rows rows() { return std::get<Rows>(host->busObject.get("Peers")); }
    std::map<std::string, std::string> row(const std::string& name) {
        for (auto& r : rows()) {
            if (r.at("name") == name)
                return r;
        }
        ADD_FAILURE() << "no peer row " << name;
        return {};
    }
    const WireguardPeer* desiredPeer(const std::string& key) {
        lastState = plugin->desiredState();
        for (auto& p : lastState.wireguard.at(0).peers) {
            if (p.publicKey == key)
                return &p;
        }
        return nullptr;
    }
    PrefixSet targets() { return host->sets.at("wireguard-mesh/targets"); }
    /// The PeerStateChanged signals emitted so far, as "name=state".
    std::vector<std::string> stateSignals() {
        std::vector<std::string> out;
        for (auto& [name, args] : host->busObject.emitted) {
            if (name == "PeerStateChanged")
                out.push_back(std::get<std::string>(args.at(0)) + "=" +
                              std::get<std::string>(args.at(1)));
        }
        return out;
    }

    fs::path dir;
    /// Runs on each new host before the plugin starts (cluster state, links, ...).
    std::function<void(MeshHost&)> prepareHost;
    std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};
    std::unique_ptr<MeshHost> host;
    std::unique_ptr<MeshPlugin> plugin;
    DesiredState lastState;
};

inline Prefix P(const char* text) {
    return *Prefix::parse(text);
}
inline Endpoint E(const char* text) {
    return *Endpoint::parse(text);
}

}  // namespace weft::mesh::test
