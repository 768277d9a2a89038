#include "runtime_peers.hpp"

#include <fstream>
#include <sstream>

#include "weft/json.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::mesh {

static bool validName(const std::string& n) {
    if (n.empty() || n.size() > 64)
        return false;
    for (unsigned char c : n) {
        if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

PeerSpec peerFromBus(const std::vector<BusValue>& args) {
    PeerSpec p;
    p.runtime = true;
    p.name = std::get<std::string>(args.at(0));
    if (!validName(p.name))
        throw BusError("InvalidArgument", "name: '" + p.name + "' is not a valid peer name");
    p.publicKey = std::get<std::string>(args.at(1));
    if (!wg::isValidKey(p.publicKey)) {
        throw BusError("InvalidArgument", "publicKey: not a WireGuard key (base64 of 32 bytes)");
    }
    for (auto& e : std::get<std::vector<std::string>>(args.at(2))) {
        auto ep = Endpoint::parse(e);
        if (!ep)
            throw BusError("InvalidArgument",
                           "endpoints: '" + e + "' is not host:port or [v6]:port");
        p.endpoints.push_back(*ep);
    }
    for (auto& a : std::get<std::vector<std::string>>(args.at(3))) {
        auto pr = Prefix::parse(a);
        if (!pr)
            throw BusError("InvalidArgument", "allowedIps: '" + a + "' is not an IP prefix");
        p.allowedIps.push_back(*pr);
    }
    uint32_t keepalive = std::get<uint32_t>(args.at(4));
    if (keepalive > 65535)
        throw BusError("InvalidArgument", "persistentKeepalive: at most 65535 seconds");
    if (keepalive)
        p.keepalive = std::chrono::seconds(keepalive);
    return p;
}

std::vector<PeerSpec> loadRuntimePeers(const std::filesystem::path& file) {
    std::vector<PeerSpec> out;
    std::ifstream in(file);
    if (!in)
        return out;
    std::stringstream ss;
    ss << in.rdbuf();
    const Json doc = Json::parse(ss.str());
    for (auto& j : doc.asArray()) {
        PeerSpec p;
        p.runtime = true;
        p.name = j["name"].asString();
        p.publicKey = j["publicKey"].asString();
        for (auto& e : j["endpoints"].asArray()) {
            if (auto ep = Endpoint::parse(e.asString()))
                p.endpoints.push_back(*ep);
        }
        for (auto& a : j["allowedIps"].asArray()) {
            if (auto pr = Prefix::parse(a.asString()))
                p.allowedIps.push_back(*pr);
        }
        if (j["keepalive"].asInt())
            p.keepalive = std::chrono::seconds(j["keepalive"].asInt());
        out.push_back(p);
    }
    return out;
}

void saveRuntimePeers(const std::filesystem::path& file, const std::vector<PeerSpec>& peers) {
    Json list = Json::array();
    for (auto& p : peers) {
        Json j = Json::object();
        j["name"] = p.name;
        j["publicKey"] = p.publicKey;
        Json eps = Json::array(), ips = Json::array();
        for (auto& e : p.endpoints)
            eps.push(e.str());
        for (auto& a : p.allowedIps)
            ips.push(a.str());
        j["endpoints"] = eps;
        j["allowedIps"] = ips;
        j["keepalive"] = p.keepalive ? int64_t(p.keepalive->count()) : int64_t(0);
        list.push(j);
    }
    auto tmp = file;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << list.dump(2) << "\n";
    }
    std::filesystem::rename(tmp, file);
}

}  // namespace weft::mesh
