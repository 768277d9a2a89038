#include "peer_registry.hpp"

#include <algorithm>
#include <cctype>

#include "weft/plugin.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::mesh {

namespace {

BusError invalid(const std::string& message) {
    return BusError("InvalidArgument", message);
}

/// Enough of an argument to recognise it; a 1 MB argument must not come back whole in the
/// error reply (nor in the log).
constexpr size_t kQuotedMax = 200;

std::string inQuotes(const std::string& text) {
    return "'" + clipped(text) + "'";
}

Prefix parsePrefix(const std::string& text) {
    if (auto p = Prefix::parse(text))
        return *p;
    if (auto loose = Prefix::parseLoose(text)) {
        throw invalid("allowedIps: " + inQuotes(text) + " has host bits set; did you mean " +
                      loose->str() + "?");
    }
    throw invalid("allowedIps: " + inQuotes(text) + " is not an IP prefix (e.g. 10.244.1.0/24)");
}

bool sharesPrefix(const PeerSpec& a, const PeerSpec& b, Prefix& shared) {
    for (auto& p : a.allowedIps) {
        if (std::find(b.allowedIps.begin(), b.allowedIps.end(), p) != b.allowedIps.end()) {
            shared = p;
            return true;
        }
    }
    return false;
}

auto byName(const std::string& name) {
    return [&name](const PeerSpec& p) { return p.name == name; };
}

/// Why `peer` cannot join `lists` (name, key or an exact AllowedIPs prefix taken), or "".
std::string clashWith(const PeerSpec& peer,
                      std::initializer_list<const std::vector<PeerSpec>*> lists) {
    for (auto* list : lists) {
        for (auto& other : *list) {
            std::string source = sourceName(other.source);
            if (other.name == peer.name)
                return "name: a " + source + " peer has this name";
            if (other.publicKey == peer.publicKey)
                return "publicKey: already used by " + source + " peer " + other.name;
            Prefix shared;
            if (sharesPrefix(peer, other, shared))
                return "allowedIps: " + shared.str() + " is already routed to " + source +
                       " peer " + other.name;
        }
    }
    return {};
}

}  // namespace

/// The same rule as config section names, so a peer's name works everywhere.
bool isPeerName(const std::string& n) {
    return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
}

std::string clipped(const std::string& text) {
    if (text.size() <= kQuotedMax)
        return text;
    size_t cut = kQuotedMax;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;  // never split a UTF-8 sequence: the message goes onto the bus
    return text.substr(0, cut) + "\u2026 (" + std::to_string(text.size()) + " bytes)";
}

PeerSpec runtimePeer(const PeerArgs& args) {
    PeerSpec p;
    p.source = PeerSource::Runtime;
    p.name = args.name;
    if (!isPeerName(p.name)) {
        throw invalid("name: " + inQuotes(p.name) +
                      " is not a peer name (1-64 letters, digits, '_', '.', '-')");
    }
    p.publicKey = args.publicKey;
    if (!wg::isValidKey(p.publicKey))
        throw invalid("publicKey: not a WireGuard key (44 characters of base64 of 32 bytes)");
    for (auto& e : args.endpoints) {
        auto endpoint = Endpoint::parse(e);
        if (!endpoint || endpoint->port == 0) {
            throw invalid("endpoints: " + inQuotes(e) +
                          " is not an endpoint (192.0.2.1:51820 or [2001:db8::1]:51820)");
        }
        p.endpoints.push_back(*endpoint);
    }
    for (auto& a : args.allowedIps)
        p.allowedIps.push_back(parsePrefix(a));
    if (args.keepaliveSeconds > 65535)
        throw invalid("persistentKeepaliveSeconds: at most 65535");
    if (args.keepaliveSeconds > 0)
        p.keepalive = std::chrono::seconds(args.keepaliveSeconds);
    return p;
}

PeerArgs argsOf(const PeerSpec& peer) {
    PeerArgs a{peer.name, peer.publicKey, {}, {}, 0};
    for (auto& e : peer.endpoints)
        a.endpoints.push_back(e.str());
    for (auto& p : peer.allowedIps)
        a.allowedIps.push_back(p.str());
    a.keepaliveSeconds = peer.keepalive ? uint32_t(peer.keepalive->count()) : 0;
    return a;
}

void PeerRegistry::checkClash(const PeerSpec& peer, const std::string& replacing) const {
    if (!ownKey_.empty() && peer.publicKey == ownKey_)
        throw invalid("publicKey: that is this node's own public key");
    for (const std::vector<PeerSpec>* list : {&config_, &runtime_}) {
        for (auto& other : *list) {
            if (other.name == replacing)
                continue;
            if (other.name == peer.name)
                throw invalid("name: peer " + peer.name + " exists; use UpdatePeer");
            if (other.publicKey == peer.publicKey)
                throw invalid("publicKey: already used by peer " + other.name);
            Prefix shared;
            if (sharesPrefix(peer, other, shared)) {
                throw invalid("allowedIps: " + shared.str() + " is already routed to peer " +
                              other.name);
            }
        }
    }
}

void PeerRegistry::checkNotConfig(const std::string& name) const {
    if (std::any_of(config_.begin(), config_.end(), byName(name))) {
        throw invalid("name: peer " + name +
                      " comes from wireguard-mesh.conf; edit the file to change it");
    }
}

void PeerRegistry::checkNotDiscovered(const std::string& name) const {
    if (std::any_of(discovered_.begin(), discovered_.end(), byName(name))) {
        throw invalid("name: peer " + name +
                      " was discovered in the cluster store; it cannot be changed over D-Bus");
    }
}

void PeerRegistry::setOwnKey(std::string publicKey) {
    ownKey_ = std::move(publicKey);
    pickDiscovered();
}

void PeerRegistry::setDiscoveredPeers(std::vector<PeerSpec> peers) {
    candidates_ = std::move(peers);
    pickDiscovered();
}

void PeerRegistry::pickDiscovered() {
    discovered_.clear();
    shadowed_.clear();
    for (auto& p : candidates_) {
        std::string why = !ownKey_.empty() && p.publicKey == ownKey_
                              ? "publicKey: that is this node's own public key"
                              : clashWith(p, {&config_, &runtime_, &discovered_});
        if (!why.empty()) {
            shadowed_.emplace(p.name, why);
            continue;
        }
        discovered_.push_back(p);
        discovered_.back().source = PeerSource::Discovery;
    }
}

std::vector<std::string> PeerRegistry::setConfigPeers(std::vector<PeerSpec> peers) {
    config_ = std::move(peers);
    auto kept = std::move(runtime_);
    runtime_.clear();
    return restoreRuntime(std::move(kept));
}

std::vector<std::string> PeerRegistry::restoreRuntime(std::vector<PeerSpec> peers) {
    std::vector<std::string> skipped;
    for (auto& p : peers) {
        try {
            checkNotConfig(p.name);
            checkClash(p, {});
            p.source = PeerSource::Runtime;
            runtime_.push_back(std::move(p));
        } catch (const BusError& e) {
            skipped.push_back("runtime peer " + p.name + " dropped: " + e.what());
        }
    }
    pickDiscovered();
    return skipped;
}

void PeerRegistry::add(PeerSpec peer) {
    checkNotConfig(peer.name);
    checkClash(peer, {});
    peer.source = PeerSource::Runtime;
    runtime_.push_back(std::move(peer));
    pickDiscovered();
}

void PeerRegistry::update(PeerSpec peer) {
    checkNotConfig(peer.name);
    auto it = std::find_if(runtime_.begin(), runtime_.end(), byName(peer.name));
    if (it == runtime_.end()) {
        checkNotDiscovered(peer.name);
        throw BusError("NotFound", "name: no runtime peer " + peer.name + "; use AddPeer");
    }
    checkClash(peer, peer.name);
    peer.source = PeerSource::Runtime;
    *it = std::move(peer);
    pickDiscovered();
}

void PeerRegistry::remove(const std::string& name) {
    checkNotConfig(name);
    auto it = std::find_if(runtime_.begin(), runtime_.end(), byName(name));
    if (it == runtime_.end()) {
        checkNotDiscovered(name);
        throw BusError("NotFound", "name: no runtime peer " + clipped(name));
    }
    runtime_.erase(it);
    pickDiscovered();
}

std::vector<PeerSpec> PeerRegistry::all() const {
    std::vector<PeerSpec> out = config_;
    out.insert(out.end(), runtime_.begin(), runtime_.end());
    out.insert(out.end(), discovered_.begin(), discovered_.end());
    return out;
}

const PeerSpec* PeerRegistry::find(const std::string& name) const {
    for (const std::vector<PeerSpec>* list : {&config_, &runtime_, &discovered_}) {
        auto it = std::find_if(list->begin(), list->end(), byName(name));
        if (it != list->end())
            return &*it;
    }
    return nullptr;
}

}  // namespace weft::mesh
