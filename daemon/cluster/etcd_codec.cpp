#include "etcd_codec.hpp"

#include <openssl/evp.h>

#include <charconv>

namespace weft::cluster {

std::string base64Encode(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(size_t(n));
    return out;
}

std::string base64Decode(const std::string& text) {
    if (text.size() % 4 != 0)
        throw EtcdProtocolError("bad base64 (length " + std::to_string(text.size()) + ")");
    if (text.empty())
        return {};
    std::string out(3 * (text.size() / 4), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0)
        throw EtcdProtocolError("bad base64");
    // EVP_DecodeBlock counts the bytes the padding stands for; drop them.
    size_t pad = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
    out.resize(size_t(n) - pad);
    return out;
}

std::string prefixRangeEnd(const std::string& prefix) {
    std::string end = prefix;
    while (!end.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(end.back());
        if (last < 0xff) {
            ++last;
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');
}

static std::string int64Text(int64_t v) {
    return std::to_string(v);  // the gateway's own int64 spelling; exact beyond 2^53
}

std::string rangeBody(const std::string& key, const std::string& rangeEnd, int64_t revision,
                      int64_t limit) {
    Json j{{"key", base64Encode(key)}};
    if (!rangeEnd.empty())
        j["range_end"] = base64Encode(rangeEnd);
    if (revision > 0)
        j["revision"] = int64Text(revision);
    if (limit > 0)
        j["limit"] = int64Text(limit);
    return j.dump();
}

std::string putBody(const std::string& key, const std::string& value, int64_t lease) {
    Json j{{"key", base64Encode(key)}, {"value", base64Encode(value)}};
    if (lease != 0)
        j["lease"] = int64Text(lease);
    return j.dump();
}

std::string deleteRangeBody(const std::string& key, const std::string& rangeEnd) {
    Json j{{"key", base64Encode(key)}};
    if (!rangeEnd.empty())
        j["range_end"] = base64Encode(rangeEnd);
    return j.dump();
}

std::string leaseGrantBody(int64_t ttlSeconds) {
    return Json{{"TTL", int64Text(ttlSeconds)}}.dump();
}

std::string leaseIdBody(int64_t id) {
    return Json{{"ID", int64Text(id)}}.dump();
}

std::string watchCreateBody(const std::string& key, const std::string& rangeEnd,
                            int64_t startRevision) {
    Json req{{"key", base64Encode(key)}};
    if (!rangeEnd.empty())
        req["range_end"] = base64Encode(rangeEnd);
    if (startRevision > 0)
        req["start_revision"] = int64Text(startRevision);
    // Progress notifications carry the store revision while nothing under the prefix changes,
    // so a resume after a quiet spell starts near the present.
    req["progress_notify"] = true;
    return Json{{"create_request", req}}.dump();
}

int64_t jsonInt64(const Json& obj, const char* field, int64_t fallback) {
    if (!obj.is_object() || !obj.contains(field))
        return fallback;
    const Json& v = obj.at(field);
    if (v.is_number_integer())
        return v.get<int64_t>();
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        int64_t out = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc() && p == s.data() + s.size())
            return out;
    }
    throw EtcdProtocolError(std::string("field ") + field + " is not an integer");
}

static Json parseObject(const std::string& text) {
    Json j;
    try {
        j = Json::parse(text);
    } catch (const Json::exception& e) {
        throw EtcdProtocolError(std::string("answer is not JSON: ") + e.what());
    }
    if (!j.is_object())
        throw EtcdProtocolError("answer is not a JSON object");
    return j;
}

static std::string bytesField(const Json& obj, const char* field) {
    if (!obj.contains(field))
        return {};
    const Json& v = obj.at(field);
    if (!v.is_string())
        throw EtcdProtocolError(std::string("field ") + field + " is not a string");
    return base64Decode(v.get<std::string>());
}

static int64_t headerRevision(const Json& j) {
    if (!j.contains("header"))
        throw EtcdProtocolError("answer has no header");
    return jsonInt64(j.at("header"), "revision");
}

static KeyValue parseKv(const Json& kv) {
    if (!kv.is_object())
        throw EtcdProtocolError("kv is not an object");
    KeyValue out;
    out.key = bytesField(kv, "key");
    out.value = bytesField(kv, "value");
    out.createRevision = jsonInt64(kv, "create_revision");
    out.modRevision = jsonInt64(kv, "mod_revision");
    out.version = jsonInt64(kv, "version");
    out.lease = jsonInt64(kv, "lease");
    return out;
}

RangeResult parseRange(const std::string& body) {
    Json j = parseObject(body);
    RangeResult r;
    r.revision = headerRevision(j);
    r.more = j.value("more", false);
    if (j.contains("kvs")) {
        if (!j.at("kvs").is_array())
            throw EtcdProtocolError("kvs is not an array");
        for (const Json& kv : j.at("kvs"))
            r.kvs.push_back(parseKv(kv));
    }
    return r;
}

int64_t parseHeaderRevision(const std::string& body) {
    return headerRevision(parseObject(body));
}

int64_t parseDeleted(const std::string& body) {
    Json j = parseObject(body);
    headerRevision(j);  // a real answer has one
    return jsonInt64(j, "deleted");
}

LeaseGrant parseLeaseGrant(const std::string& body) {
    Json j = parseObject(body);
    LeaseGrant g{jsonInt64(j, "ID"), jsonInt64(j, "TTL")};
    if (g.id == 0)
        throw EtcdProtocolError("lease grant without an ID");
    return g;
}

// A stream message's payload: the object under "result".
static Json streamResult(const std::string& line) {
    Json j = parseObject(line);
    if (!j.contains("result") || !j.at("result").is_object())
        throw EtcdProtocolError("stream message without a result");
    return j.at("result");
}

int64_t parseKeepAliveTtl(const std::string& streamLine) {
    return jsonInt64(streamResult(streamLine), "TTL");
}

WatchResponse parseWatchLine(const std::string& line) {
    Json r = streamResult(line);
    WatchResponse w;
    // A cancel because of compaction has no header revision; everything else has one.
    w.revision = r.contains("header") ? jsonInt64(r.at("header"), "revision") : 0;
    w.created = r.value("created", false);
    w.canceled = r.value("canceled", false);
    w.compactRevision = jsonInt64(r, "compact_revision");
    w.cancelReason = r.value("cancel_reason", std::string());
    if (r.contains("events")) {
        if (!r.at("events").is_array())
            throw EtcdProtocolError("events is not an array");
        for (const Json& ev : r.at("events")) {
            if (!ev.is_object() || !ev.contains("kv"))
                throw EtcdProtocolError("watch event without kv");
            KeyValue kv = parseKv(ev.at("kv"));
            std::string type = ev.value("type", std::string("PUT"));
            if (type != "PUT" && type != "DELETE")
                throw EtcdProtocolError("unknown watch event type " + type);
            WatchEvent out;
            out.type = type == "PUT" ? WatchEvent::Type::Put : WatchEvent::Type::Delete;
            out.key = std::move(kv.key);
            if (out.type == WatchEvent::Type::Put)
                out.value = std::move(kv.value);
            out.modRevision = kv.modRevision;
            w.events.push_back(std::move(out));
        }
    }
    return w;
}

std::optional<EtcdStatus> parseErrorBody(const std::string& body) {
    Json j;
    try {
        j = Json::parse(body);
    } catch (const Json::exception&) {
        return std::nullopt;
    }
    if (!j.is_object() || !j.contains("error"))
        return std::nullopt;
    const Json& e = j.at("error");
    if (e.is_string())
        return EtcdStatus::server(e.get<std::string>(), int(jsonInt64(j, "code")));
    if (e.is_object())
        return EtcdStatus::server(e.value("message", std::string("unknown error")),
                                  int(jsonInt64(e, "grpc_code")));
    return EtcdStatus::server("unknown error", 0);
}

}  // namespace weft::cluster
