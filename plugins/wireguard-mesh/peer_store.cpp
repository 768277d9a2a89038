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
        a.push_back(s);
    return a;
}

std::vector<std::string> strings(const Json& j, const std::string& key) {
    std::vector<std::string> out;
    if (!j.contains(key))
        return out;
    if (!j[key].is_array())  // nlohmann would iterate a lone string as a one-item list
        throw std::runtime_error(key + " is not an array");
    for (auto& item : j[key])
        out.push_back(item.get<std::string>());
    return out;
}

PeerSpec peerOf(const Json& j) {
    PeerArgs a;
    a.name = j.at("name").get<std::string>();
    a.publicKey = j.at("publicKey").get<std::string>();
    a.endpoints = strings(j, "endpoints");
    a.allowedIps = strings(j, "allowedIps");
    // "keepalive" is how weft 0.1.0 spelled it.
    std::string k = j.contains("persistentKeepalive") ? "persistentKeepalive" : "keepalive";
    int64_t keepalive = j.contains(k) ? j[k].get<int64_t>() : 0;
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
        list.push_back(std::move(j));
    }
    return jsonText(list, 2) + "\n";
}

std::vector<PeerSpec> parsePeers(const std::string& text, std::vector<std::string>& problems) {
    Json doc;
    try {
        doc = Json::parse(text);
    } catch (const Json::parse_error& e) {
        throw std::runtime_error(e.what());  // as documented: callers catch runtime_error
    }
    if (!doc.is_array())
        throw std::runtime_error("not a JSON array of peers");
    std::vector<PeerSpec> out;
    size_t index = 0;
    for (auto& entry : doc) {
        try {
            if (!entry.is_object())
                throw std::runtime_error("not an object");
            out.push_back(peerOf(entry));
        } catch (const std::exception& e) {
            // Name the entry: the exception alone does not say which one.
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
