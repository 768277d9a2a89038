#include "drop_log.hpp"

#include <ctime>

#include "policy_compiler.hpp"

namespace weft::weave {
namespace {

std::string isoTime(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::system_clock::to_time_t(t);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::gmtime(&secs));
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(ms));
    return out;
}

std::string podName(const Evaluator& evaluator, const Address& a) {
    const Pod* pod = evaluator.podAt(a);
    return pod ? pod->ns + "/" + pod->name : "";
}

}  // namespace

void DropLog::record(const LoggedPacket& p, const Evaluator& evaluator) {
    std::string direction = p.prefix.rfind(kLogPrefixEgress, 0) == 0    ? "egress"
                            : p.prefix.rfind(kLogPrefixIngress, 0) == 0 ? "ingress"
                                                                        : p.prefix;
    rows_.push_front({{"time", isoTime(p.time)},
                      {"direction", direction},
                      {"source", p.source.str()},
                      {"sourcePod", podName(evaluator, p.source)},
                      {"destination", p.destination.str()},
                      {"destinationPod", podName(evaluator, p.destination)},
                      {"protocol", protocolName(p.protocol)},
                      {"port", p.destinationPort ? std::to_string(*p.destinationPort) : ""},
                      {"in", p.inInterface},
                      {"out", p.outInterface}});
    ++total_;
    if (rows_.size() > capacity_)
        rows_.pop_back();
}

std::vector<std::map<std::string, std::string>> DropLog::latest(size_t limit) const {
    std::vector<std::map<std::string, std::string>> out;
    for (size_t i = 0; i < rows_.size() && i < limit; ++i)
        out.push_back(rows_[i]);
    return out;
}

}  // namespace weft::weave
