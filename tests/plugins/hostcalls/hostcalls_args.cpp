#include "hostcalls_args.hpp"

#include "weft/plugin.hpp"

namespace hostcalls {

using namespace weft;

namespace {

const std::string* get(const Args& a, const std::string& key) {
    auto it = a.find(key);
    return it == a.end() ? nullptr : &it->second;
}

[[noreturn]] void bad(const std::string& key, const std::string& value) {
    throw BusError("InvalidArgument", key + ": invalid value \"" + value + "\"");
}

uint32_t number(const std::string& key, const std::string& v) {
    try {
        size_t used = 0;
        auto n = std::stoul(v, &used, 0);
        if (used != v.size() || n > 0xffffffffUL)
            bad(key, v);
        return uint32_t(n);
    } catch (const std::logic_error&) {
        bad(key, v);
    }
}

Prefix prefix(const std::string& key, const std::string& v) {
    auto p = Prefix::parseLoose(v);
    if (!p)
        bad(key, v);
    return *p;
}

}  // namespace

FlowFilter flowFilter(const Args& a) {
    FlowFilter f;
    for (auto& [k, v] : a) {
        if (k == "family") {
            if (v != "4" && v != "6")
                bad(k, v);
            f.family = v == "4" ? Family::V4 : Family::V6;
        } else if (k == "source") {
            f.source = prefix(k, v);
        } else if (k == "destination") {
            f.destination = prefix(k, v);
        } else if (k == "protocol") {
            f.protocol = uint8_t(number(k, v));
        } else if (k == "dport") {
            auto dash = v.find('-');
            auto first = number(k, v.substr(0, dash));
            auto last = dash == std::string::npos ? first : number(k, v.substr(dash + 1));
            f.destinationPort = PortRange{uint16_t(first), uint16_t(last)};
        } else if (k == "ctmark") {
            auto slash = v.find('/');
            if (slash == std::string::npos)
                bad(k, v);
            f.ctMark = Mark{number(k, v.substr(0, slash)), number(k, v.substr(slash + 1))};
        } else {
            throw BusError("InvalidArgument", k + ": unknown filter key");
        }
    }
    return f;
}

ProbeRequest probeRequest(const Args& a) {
    ProbeRequest r;
    auto* kind = get(a, "kind");
    if (!kind || (*kind != "icmp" && *kind != "tcp" && *kind != "dns"))
        bad("kind", kind ? *kind : "");
    r.kind = *kind == "icmp"  ? ProbeRequest::Kind::IcmpEcho
             : *kind == "tcp" ? ProbeRequest::Kind::TcpConnect
                              : ProbeRequest::Kind::Dns;
    auto* target = get(a, "target");
    auto addr = target ? Address::parse(*target) : std::nullopt;
    if (!addr)
        bad("target", target ? *target : "");
    r.target = *addr;
    if (auto* p = get(a, "port"))
        r.port = uint16_t(number("port", *p));
    if (auto* i = get(a, "interface"))
        r.interface = *i;
    if (auto* m = get(a, "mark"))
        r.fwmark = number("mark", *m);
    if (auto* t = get(a, "timeout_ms"))
        r.timeout = std::chrono::milliseconds(number("timeout_ms", *t));
    if (auto* n = get(a, "name"))
        r.dnsName = *n;
    return r;
}

Args resultArgs(const ProbeResult& r) {
    const char* status = r.status == ProbeResult::Status::Ok        ? "ok"
                         : r.status == ProbeResult::Status::Timeout ? "timeout"
                                                                    : "error";
    return {{"status", status}, {"rtt_us", std::to_string(r.rtt.count())}, {"error", r.error}};
}

Args packetArgs(const LoggedPacket& p) {
    auto port = [](const std::optional<uint16_t>& x) { return x ? std::to_string(*x) : ""; };
    return {{"group", std::to_string(p.group)},
            {"prefix", p.prefix},
            {"family", p.family == Family::V4 ? "4" : "6"},
            {"source", p.source.str()},
            {"destination", p.destination.str()},
            {"protocol", std::to_string(p.protocol)},
            {"sport", port(p.sourcePort)},
            {"dport", port(p.destinationPort)},
            {"in", p.inInterface},
            {"out", p.outInterface}};
}

}  // namespace hostcalls
