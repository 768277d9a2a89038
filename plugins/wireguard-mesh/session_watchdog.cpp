#include "session_watchdog.hpp"

namespace weft::mesh {

bool SessionWatchdog::stalled(const std::string& peer, const WireguardPeerStatus& kernel,
                              std::chrono::seconds keepalive, TimePoint now) {
    auto [it, added] = peers_.try_emplace(peer, Record{kernel.rxBytes, now});
    Record& r = it->second;
    if (added || kernel.rxBytes != r.rx) {
        r.rx = kernel.rxBytes;
        r.since = now;
        return false;
    }
    if (keepalive.count() == 0 || kernel.lastHandshake == 0)
        return false;
    return now - r.since >= 2 * keepalive + kSlack;
}

void SessionWatchdog::restarted(const std::string& peer, TimePoint now) {
    auto it = peers_.find(peer);
    if (it != peers_.end())
        it->second.since = now;
}

void SessionWatchdog::retain(const std::set<std::string>& peers) {
    std::erase_if(peers_, [&](const auto& entry) { return !peers.count(entry.first); });
}

}  // namespace weft::mesh
