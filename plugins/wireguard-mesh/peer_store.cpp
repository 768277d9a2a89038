#include "peer_store.hpp"

#include <stdexcept>
#include <system_error>

#include "key_file.hpp"
#include "peer_registry.hpp"
#include "weft/json.hpp"
#include "weft/plugin.hpp"

namespace weft::mesh {

namespace {

Json stringArray(const std::vector<std::string>& items) {
    Json a = Json::array();
    for (auto& s : items)
        a.push(s);
    return a;
}

std::vector<std::string> strings(const Json& j, const std::string& key) {
    std::vector<std::string> out;
    if (!j.contains(key))
        return out;
    for (auto& item : j[key].asArray())
        out.push_back(item.asString());
    return out;
}

PeerSpec peerOf(const Json& j) {
    PeerArgs a;
    a.name = j["name"].asString();
    a.publicKey = j["publicKey"].asString();
    a.endpoints = strings(j, "endpoints");
    a.allowedIps = strings(j, "allowedIps");
    // "keepalive" is how weft 0.1.0 spelled it.
    std::string k = j.contains("persistentKeepalive") ? "persistentKeepalive" : "keepalive";
    int64_t keepalive = j.contains(k) ? j[k].asInt() : 0;
    if (keepalive < 0 || keepalive > 65535)
        throw std::runtime_error("persistentKeepalive out of range");
    a.keepaliveSeconds = uint32_t(keepalive);
    return runtimePeer(a);
}

}  // namespace

std::string serializePeers(const std::vector<PeerSpec>& peers) {
    Json list = Json::array();
    for (auto& p : peers) {
        PeerArgs a = argsOf(p);
        Json j = Json::object();
        j["name"] = a.name;
        j["publicKey"] = a.publicKey;
        j["endpoints"] = stringArray(a.endpoints);
        j["allowedIps"] = stringArray(a.allowedIps);
        j["persistentKeepalive"] = int64_t(a.keepaliveSeconds);
        list.push(std::move(j));
    }
    return list.dump(2) + "\n";
}

std::vector<PeerSpec> parsePeers(const std::string& text, std::vector<std::string>& problems) {
    Json doc = Json::parse(text);
    if (!doc.isArray())
        throw std::runtime_error("not a JSON array of peers");
    std::vector<PeerSpec> out;
    size_t index = 0;
    for (auto& entry : doc.asArray()) {
        try {
            if (!entry.isObject())
                throw std::runtime_error("not an object");
            out.push_back(peerOf(entry));
        } catch (const std::exception& e) {
            // std::bad_variant_access says nothing useful: name the entry at least.
            problems.push_back("peer #" + std::to_string(index) + " skipped: " + e.what());
        }
        ++index;
    }
    return out;
}

std::vector<PeerSpec> loadPeers(const std::filesystem::path& file,
                                std::vector<std::string>& problems) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return {};
    std::string text = readTextFile(file, 64 << 20);
    try {
        return parsePeers(text, problems);
    } catch (const std::exception& e) {
        throw std::runtime_error(file.string() + ": " + e.what());
    }
}

void savePeers(const std::filesystem::path& file, const std::vector<PeerSpec>& peers) {
    writeFileAtomically(file, serializePeers(peers), 0644);
}

}  // namespace weft::mesh
