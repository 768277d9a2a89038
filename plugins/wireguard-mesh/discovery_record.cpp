#include "discovery_record.hpp"

#include <algorithm>

#include "peer_registry.hpp"
#include "weft/json.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::mesh {

namespace {

RecordError bad(const std::string& field, const std::string& why) {
    return RecordError(field + ": " + why);
}

std::string inQuotes(const std::string& text) {
    return "'" + clipped(text) + "'";
}

const Json& field(const Json& j, const char* name) {
    if (!j.contains(name))
        throw bad(name, "missing");
    return j.at(name);
}

std::string string(const Json& j, const char* name) {
    const Json& v = field(j, name);
    if (!v.is_string())
        throw bad(name, "not a string");
    return v.get<std::string>();
}

/// Each item of a string array through `parse`, which returns nullopt for a bad one.
template <typename T, typename Parse>
std::vector<T> list(const Json& j, const char* name, Parse parse, const std::string& expected) {
    const Json& v = field(j, name);
    if (!v.is_array())
        throw bad(name, "not an array");
    std::vector<T> out;
    for (auto& item : v) {
        if (!item.is_string())
            throw bad(name, "an item is not a string");
        auto text = item.get<std::string>();
        auto parsed = parse(text);
        if (!parsed)
            throw bad(name, inQuotes(text) + " is not " + expected);
        out.push_back(*parsed);
    }
    return out;
}

std::optional<InterfaceAddress> meshAddress(const std::string& text) {
    // As Address= in the config: the length is part of it (a bare address is a mistake).
    if (text.find('/') == std::string::npos)
        return std::nullopt;
    return InterfaceAddress::parse(text);
}

Json strings(const auto& items) {
    Json a = Json::array();
    for (auto& i : items)
        a.push_back(i.str());
    return a;
}

}  // namespace

std::string recordKey(const std::string& nodeName) {
    return kNodesPrefix + nodeName;
}

std::optional<std::string> nodeOfKey(const std::string& key) {
    std::string_view prefix = kNodesPrefix;
    if (!key.starts_with(prefix))
        return std::nullopt;
    std::string name = key.substr(prefix.size());
    if (!isPeerName(name))
        return std::nullopt;
    return name;
}

std::string encodeRecord(const NodeRecord& r) {
    Json j = Json::object();
    j["version"] = kRecordVersion;
    j["name"] = r.name;
    j["publicKey"] = r.publicKey;
    j["listenPort"] = unsigned(r.listenPort);
    j["endpoints"] = strings(r.endpoints);
    j["addresses"] = strings(r.addresses);
    j["advertised"] = strings(r.advertised);
    return jsonText(j);
}

NodeRecord decodeRecord(const std::string& key, const std::string& text) {
    Json j;
    try {
        j = Json::parse(text);
    } catch (const Json::parse_error& e) {
        throw RecordError(std::string("not JSON: ") + e.what());
    }
    if (!j.is_object())
        throw RecordError("not a JSON object");
    const Json& version = field(j, "version");
    if (!version.is_number_integer())
        throw bad("version", "not an integer");
    if (version.get<int64_t>() != kRecordVersion) {
        throw bad("version", std::to_string(version.get<int64_t>()) +
                                 " is not supported (this weft reads version " +
                                 std::to_string(kRecordVersion) + ")");
    }
    NodeRecord r;
    r.name = string(j, "name");
    auto slash = key.rfind('/');
    std::string last = slash == std::string::npos ? key : key.substr(slash + 1);
    if (r.name != last)
        throw bad("name", inQuotes(r.name) + " is not the key's node name '" + clipped(last) + "'");
    if (!isPeerName(r.name))
        throw bad("name",
                  inQuotes(r.name) + " is not a peer name (1-64 letters, digits, '_', '.', '-')");
    r.publicKey = string(j, "publicKey");
    if (!wg::isValidKey(r.publicKey))
        throw bad("publicKey", "not a WireGuard key (44 characters of base64 of 32 bytes)");
    const Json& port = field(j, "listenPort");
    if (!port.is_number_integer() || port.get<int64_t>() < 1 || port.get<int64_t>() > 65535)
        throw bad("listenPort", "not a port (1-65535)");
    r.listenPort = uint16_t(port.get<int64_t>());
    r.endpoints = list<Endpoint>(j, "endpoints", Endpoint::parse,
                                 "an endpoint (192.0.2.1:51820 or [2001:db8::1]:51820)");
    r.addresses = list<InterfaceAddress>(j, "addresses", meshAddress,
                                         "an address with a prefix length (10.99.0.1/24)");
    r.advertised = list<Prefix>(
        j, "advertised", [](const std::string& t) { return Prefix::parse(t); },
        "an IP prefix without host bits (10.244.1.0/24)");
    return r;
}

PeerSpec discoveredPeer(const NodeRecord& r) {
    PeerSpec p;
    p.source = PeerSource::Discovery;
    p.name = r.name;
    p.publicKey = r.publicKey;
    p.endpoints = r.endpoints;
    auto add = [&p](const Prefix& prefix) {
        if (std::find(p.allowedIps.begin(), p.allowedIps.end(), prefix) == p.allowedIps.end())
            p.allowedIps.push_back(prefix);
    };
    for (auto& a : r.addresses)
        add(Prefix::host(a.address));
    for (auto& a : r.advertised)
        add(a);
    return p;
}

}  // namespace weft::mesh
