#include "lease_check.hpp"

#include <algorithm>
#include <cstdio>

namespace weft {
namespace {

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

bool tableLeased(const Lease& l, uint32_t table) {
    return std::any_of(l.routingTables.begin(), l.routingTables.end(),
                       [&](auto& r) { return table >= r.first && table <= r.second; });
}

bool priorityLeased(const Lease& l, uint32_t prio) {
    return std::any_of(l.rulePriorities.begin(), l.rulePriorities.end(),
                       [&](auto& r) { return prio >= r.first && prio <= r.second; });
}

void checkRanges(const std::string& what, const std::vector<std::pair<uint32_t, uint32_t>>& a,
                 const std::vector<std::pair<uint32_t, uint32_t>>& b, const std::string& who,
                 std::vector<std::string>& out) {
    for (auto& x : a) {
        for (auto& y : b) {
            if (x.first <= y.second && y.first <= x.second) {
                out.push_back(who + " both lease " + what + " " +
                              std::to_string(std::max(x.first, y.first)));
            }
        }
    }
}

}  // namespace

std::vector<std::string> leaseConflicts(const std::string& nameA, const Lease& a,
                                        const std::string& nameB, const Lease& b) {
    std::vector<std::string> out;
    const std::string who = "plugins " + nameA + " and " + nameB;
    for (auto& t : a.nftTables) {
        if (has(b.nftTables, t))
            out.push_back(who + " both lease nftables table " + t);
    }
    for (auto& l : a.links) {
        if (has(b.links, l))
            out.push_back(who + " both lease link " + l);
    }
    checkRanges("routing table", a.routingTables, b.routingTables, who, out);
    checkRanges("rule priority", a.rulePriorities, b.rulePriorities, who, out);
    if (uint32_t both = a.markBits & b.markBits) {
        out.push_back(who + " both write fwmark bits " + hex(both));
    }
    return out;
}

std::vector<ConfigError> leaseConflictErrors(const std::string& nameA, const Lease& a,
                                             const std::string& nameB, const Lease& b,
                                             const Location& where) {
    std::vector<ConfigError> out;
    for (auto& c : leaseConflicts(nameA, a, nameB, b))
        out.push_back(ConfigError{where, "Daemon", "Plugins", c});
    return out;
}

uint32_t markBitsWritten(const DesiredState& state) {
    uint32_t bits = 0;
    for (auto& t : state.tables) {
        for (auto& c : t.chains) {
            for (auto& r : c.rules) {
                for (auto& e : r.exprs) {
                    if (auto* m = std::get_if<nft::SetMark>(&e))
                        bits |= m->mark.mask;
                    if (auto* m = std::get_if<nft::MarkFromCt>(&e))
                        bits |= m->mask;
                    if (auto* m = std::get_if<nft::HashMark>(&e);
                        m && m->target == nft::MarkTarget::Meta)
                        bits |= m->mask;
                    if (auto* m = std::get_if<nft::MapMark>(&e);
                        m && m->target == nft::MarkTarget::Meta)
                        bits |= 0xffffffff;
                }
            }
        }
    }
    return bits;
}

std::vector<std::string> leaseViolations(const Lease& lease, const DesiredState& state) {
    std::vector<std::string> out;
    for (auto& t : state.tables) {
        if (!has(lease.nftTables, t.name))
            out.push_back("nftables table " + t.name + " is not leased");
    }
    for (auto& r : state.routes) {
        if (!tableLeased(lease, r.table)) {
            out.push_back("route " + r.dst.str() + " in routing table " + std::to_string(r.table) +
                          ": table not leased");
        }
    }
    for (auto& r : state.rules) {
        if (!priorityLeased(lease, r.priority)) {
            out.push_back("ip rule priority " + std::to_string(r.priority) +
                          " is outside the lease");
        }
    }
    for (auto& w : state.wireguard) {
        if (!has(lease.links, w.name))
            out.push_back("link " + w.name + " is not leased");
    }
    for (auto& s : state.sysctls) {
        if (!has(lease.sysctls, s.key))
            out.push_back("sysctl " + s.key + " is not leased");
    }
    if (uint32_t extra = markBitsWritten(state) & ~lease.markBits) {
        out.push_back("writes fwmark bits " + hex(extra) + " outside its lease " +
                      hex(lease.markBits));
    }
    return out;
}

}  // namespace weft
