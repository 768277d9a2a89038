#include "wg_drift.hpp"

#include <set>

#include "wg_diff.hpp"

namespace weft::kernel::wg {

std::optional<std::string> describeDrift(const DeviceState& have, const WireguardLink& want) {
    DeviceChange c = diffDevice(have, want);
    std::string out;
    auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
    if (c.privateKey)
        add("private key changed");
    if (c.listenPort)
        add("listen port " + std::to_string(have.listenPort) + ", want " +
            std::to_string(*c.listenPort));
    if (c.fwmark)
        add("fwmark " + std::to_string(have.fwmark) + ", want " + std::to_string(*c.fwmark));
    unsigned missing = 0, changed = 0;
    for (auto& p : c.peers) {
        if (!p.updateOnly)
            ++missing;
        else if (p.presharedKey || p.keepalive || p.replaceAllowedIps)
            ++changed;  // an endpoint alone is roaming
    }
    auto count = [](unsigned n, const char* what) {
        return std::to_string(n) + (n == 1 ? " peer " : " peers ") + what;
    };
    if (missing)
        add(count(missing, "missing"));
    if (changed)
        add(count(changed, "changed"));
    if (!c.removePeers.empty())
        add(count(unsigned(c.removePeers.size()), "not wanted"));
    if (out.empty())
        return std::nullopt;
    return out;
}

}  // namespace weft::kernel::wg
