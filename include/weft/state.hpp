// weft plugin SDK: desired kernel state.
//
// A plugin never talks to the kernel. It returns a DesiredState built from
// these value types; the core checks it against the plugin's Lease, diffs it
// with the kernel and applies the difference (one nftables transaction per
// plugin, element-level set updates, add-before-delete for routes and rules).
// Every type is a comparable value so diffing and tests are plain.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "weft/config.hpp"
#include "weft/nft_elements.hpp"
#include "weft/prefix.hpp"

namespace weft {

// ---------------------------------------------------------------- nftables
namespace nft {

enum class TableFamily { Inet, Ip, Ip6 };
enum class ChainType { Filter, Route, Nat };
enum class Hook { Prerouting, Input, Forward, Output, Postrouting };

/// Hook attachment of a base chain. Priority as in nft: mangle = -150, filter = 0, srcnat = 100.
struct BaseChain {
    ChainType type = ChainType::Filter;
    Hook hook = Hook::Prerouting;
    int32_t priority = 0;
    Verdict policy = Verdict::Accept;  ///< Accept or Drop
    auto operator<=>(const BaseChain&) const = default;
};

/// Element and key types of sets and maps (nft's type names in comments).
enum class DataType {
    Ipv4Addr,     ///< ipv4_addr
    Ipv6Addr,     ///< ipv6_addr
    InetService,  ///< inet_service (a port)
    InetProto,    ///< inet_proto
    Mark,         ///< mark
    IfName,       ///< ifname
    Verdict,      ///< verdict (map data only)
};

/// A named set (no data type) or map (with data type).
struct Set {
    std::string name;
    DataType keyType = DataType::Ipv4Addr;
    std::optional<DataType> dataType;             ///< set => map
    bool interval = false;                        ///< prefixes and ranges as elements
    std::optional<std::chrono::seconds> timeout;  ///< default element timeout
    ElementSet elements;  ///< keep and edit it: unchanged chunks are skipped by the diff
    auto operator<=>(const Set&) const = default;
};

/// Packet direction for address and port matches.
enum class Dir { Src, Dst };

// Matches. Each has `negate` where nft allows "!=".
struct MatchMark {
    Mark mark;
    bool negate = false;
    auto operator<=>(const MatchMark&) const = default;
};
struct MatchCtMark {
    Mark mark;
    bool negate = false;
    auto operator<=>(const MatchCtMark&) const = default;
};
struct MatchIfName {
    Dir dir = Dir::Src;  ///< Src = iifname, Dst = oifname
    std::string name;
    bool negate = false;
    auto operator<=>(const MatchIfName&) const = default;
};
struct MatchL4Proto {
    uint8_t proto = 6;
    auto operator<=>(const MatchL4Proto&) const = default;
};
/// "meta nfproto ipv4": needed in inet tables before a family-specific address match.
struct MatchFamily {
    Family family = Family::V4;
    auto operator<=>(const MatchFamily&) const = default;
};
/// Address in a prefix, or in a named set ("@name"); the family must be matched before
/// (MatchFamily) in an inet table.
struct MatchAddr {
    Dir dir = Dir::Dst;
    Family family = Family::V4;
    std::optional<Prefix> prefix;
    std::string set;
    bool negate = false;
    auto operator<=>(const MatchAddr&) const = default;
};
/// Transport port (th sport/dport) in a range or a named set; needs a MatchL4Proto before.
struct MatchPort {
    Dir dir = Dir::Dst;
    std::optional<PortRange> range;
    std::string set;
    bool negate = false;
    auto operator<=>(const MatchPort&) const = default;
};
enum CtStateBits : uint32_t {
    CtInvalid = 1,
    CtEstablished = 2,
    CtRelated = 4,
    CtNew = 8,
    CtUntracked = 64
};
struct MatchCtState {
    uint32_t states = 0;
    auto operator<=>(const MatchCtState&) const = default;
};

// Statements.
struct Counter {
    auto operator<=>(const Counter&) const = default;
};
struct Log {
    std::string prefix;
    auto operator<=>(const Log&) const = default;
};
/// meta mark set (meta mark & ~mask) | value
struct SetMark {
    Mark mark;
    auto operator<=>(const SetMark&) const = default;
};
/// ct mark set (ct mark & ~mask) | value
struct SetCtMark {
    Mark mark;
    auto operator<=>(const SetCtMark&) const = default;
};
/// meta mark set (meta mark & ~mask) | (ct mark & mask): restores a flow's mark onto its packets.
/// Combining two registers needs kernel and libnftnl support for two-operand bitwise, which
/// libnftnl 1.2.4 (Debian 12) lacks: there the core refuses any mask but 0xffffffff for
/// MarkFromCt, CtMarkFromMark and HashMark. Under a narrower mask, write one rule per bit
/// instead: clear the bits (SetMark{0, mask}), then `ctMark({bit, bit}).setMark({bit, bit})`.
struct MarkFromCt {
    uint32_t mask = 0xffffffff;
    auto operator<=>(const MarkFromCt&) const = default;
};
/// ct mark set (ct mark & ~mask) | (meta mark & mask): saves the packet mark into the flow.
struct CtMarkFromMark {
    uint32_t mask = 0xffffffff;
    auto operator<=>(const CtMarkFromMark&) const = default;
};
/// Picks a bucket (numgen inc, or jhash of the addresses) mod `modulus`, looks it up in the
/// map `map` (key Mark, data Mark) and writes the result into the mark under `mask`.
struct HashMark {
    enum class Kind { Numgen, JhashSaddr, JhashSaddrDaddr } kind = Kind::JhashSaddr;
    Family family = Family::V4;  ///< for jhash: which header to hash
    uint32_t modulus = 1;
    std::string map;
    uint32_t mask = 0xffffffff;
    auto operator<=>(const HashMark&) const = default;
};
/// tcp flags syn: tcp option maxseg size set rt mtu (or a fixed size when `size` is set).
struct ClampMss {
    std::optional<uint16_t> size;
    auto operator<=>(const ClampMss&) const = default;
};
struct Nat {
    enum class Kind { Snat, Dnat, Masquerade } kind = Kind::Masquerade;
    Family family = Family::V4;
    std::optional<Address> address;
    std::optional<uint16_t> port;
    auto operator<=>(const Nat&) const = default;
};
struct VerdictStmt {
    Verdict verdict = Verdict::Accept;
    std::string chain;  ///< Jump / Goto target
    auto operator<=>(const VerdictStmt&) const = default;
};

using Expr = std::variant<MatchMark, MatchCtMark, MatchIfName, MatchL4Proto, MatchFamily, MatchAddr,
                          MatchPort, MatchCtState, Counter, Log, SetMark, SetCtMark, MarkFromCt,
                          CtMarkFromMark, HashMark, ClampMss, Nat, VerdictStmt>;

/// A rule: matches then statements, in order. `comment` is shown by `nft list`.
struct Rule {
    std::vector<Expr> exprs;
    std::string comment;
    auto operator<=>(const Rule&) const = default;

    // A small fluent builder: Rule{}.family(V4).daddrIn(V4, "targets4").setMark(m).counter()
    Rule& family(Family f) { return add(MatchFamily{f}); }
    Rule& mark(Mark m, bool negate = false) { return add(MatchMark{m, negate}); }
    Rule& ctMark(Mark m, bool negate = false) { return add(MatchCtMark{m, negate}); }
    Rule& iif(std::string n, bool negate = false) {
        return add(MatchIfName{Dir::Src, std::move(n), negate});
    }
    Rule& oif(std::string n, bool negate = false) {
        return add(MatchIfName{Dir::Dst, std::move(n), negate});
    }
    Rule& l4proto(uint8_t p) { return add(MatchL4Proto{p}); }
    Rule& saddr(const Prefix& p, bool neg = false) {
        return add(MatchAddr{Dir::Src, p.family(), p, {}, neg});
    }
    Rule& daddr(const Prefix& p, bool neg = false) {
        return add(MatchAddr{Dir::Dst, p.family(), p, {}, neg});
    }
    Rule& saddrIn(Family f, std::string set, bool neg = false) {
        return add(MatchAddr{Dir::Src, f, {}, std::move(set), neg});
    }
    Rule& daddrIn(Family f, std::string set, bool neg = false) {
        return add(MatchAddr{Dir::Dst, f, {}, std::move(set), neg});
    }
    Rule& sport(PortRange r, bool neg = false) { return add(MatchPort{Dir::Src, r, {}, neg}); }
    Rule& dport(PortRange r, bool neg = false) { return add(MatchPort{Dir::Dst, r, {}, neg}); }
    Rule& ctState(uint32_t s) { return add(MatchCtState{s}); }
    Rule& counter() { return add(Counter{}); }
    Rule& log(std::string prefix) { return add(Log{std::move(prefix)}); }
    Rule& setMark(Mark m) { return add(SetMark{m}); }
    Rule& setCtMark(Mark m) { return add(SetCtMark{m}); }
    Rule& accept() { return add(VerdictStmt{Verdict::Accept, {}}); }
    Rule& drop() { return add(VerdictStmt{Verdict::Drop, {}}); }
    Rule& ret() { return add(VerdictStmt{Verdict::Return, {}}); }
    Rule& jump(std::string c) { return add(VerdictStmt{Verdict::Jump, std::move(c)}); }
    Rule& goTo(std::string c) { return add(VerdictStmt{Verdict::Goto, std::move(c)}); }
    Rule& withComment(std::string c) {
        comment = std::move(c);
        return *this;
    }
    Rule& add(Expr e) {
        exprs.push_back(std::move(e));
        return *this;
    }
};

struct Chain {
    std::string name;
    std::optional<BaseChain> base;  ///< unset: a regular chain for jump/goto
    std::vector<Rule> rules;
    auto operator<=>(const Chain&) const = default;
};

/// A whole nftables table. The core tags it as weft's (table userdata) and
/// replaces changed chains and set elements inside one transaction.
struct Table {
    TableFamily family = TableFamily::Inet;
    std::string name;  ///< must be in the plugin's lease, e.g. "weft_fwmark_routing"
    std::vector<Set> sets;
    std::vector<Chain> chains;
    auto operator<=>(const Table&) const = default;
};

}  // namespace nft

// ---------------------------------------------------------------- routing
enum class RouteType { Unicast, Blackhole, Unreachable, Prohibit, Throw };

/// A route in a routing table; tagged with weft's rtnetlink protocol by the core.
struct Route {
    uint32_t table = 254;  ///< 254 = main
    RouteType type = RouteType::Unicast;
    Prefix dst;       ///< 0.0.0.0/0 or ::/0 for a default route
    std::string dev;  ///< output interface (unicast)
    std::optional<Address> via;
    std::optional<Address> src;
    uint32_t metric = 0;
    uint32_t mtu = 0;  ///< 0 = unset
    bool scopeLink = false;
    auto operator<=>(const Route&) const = default;
    Family family() const { return dst.family(); }
};

enum class RuleAction { Lookup, Blackhole, Unreachable, Prohibit };

/// An ip rule, tagged with weft's rtnetlink protocol. Fields left unset match everything.
struct RoutingRule {
    Family family = Family::V4;
    uint32_t priority = 0;
    std::optional<Mark> fwmark;
    std::optional<Prefix> from;
    std::optional<Prefix> to;
    std::string iif;
    std::string oif;
    std::optional<uint8_t> ipproto;
    std::optional<PortRange> sport;
    std::optional<PortRange> dport;
    bool invert = false;  ///< "not"
    RuleAction action = RuleAction::Lookup;
    uint32_t table = 254;
    auto operator<=>(const RoutingRule&) const = default;
};

// ---------------------------------------------------------------- links
/// An address on an interface ("10.1.0.1/24"): unlike Prefix it keeps host bits.
struct InterfaceAddress {
    Address address;
    uint8_t prefixLength = 32;
    auto operator<=>(const InterfaceAddress&) const = default;
    std::string str() const;  ///< "10.1.0.1/24"
    static std::optional<InterfaceAddress> parse(std::string_view text);
};

enum class WireguardBackend { Auto, Kernel, Userspace };

struct WireguardPeer {
    std::string publicKey;     ///< base64
    std::string presharedKey;  ///< base64, empty = none (never logged)
    std::optional<Endpoint> endpoint;
    std::vector<Prefix> allowedIps;
    std::chrono::seconds persistentKeepalive{0};
    auto operator<=>(const WireguardPeer&) const = default;
};

/// A WireGuard link owned by a plugin: created if missing, configured by diff
/// (only changed peers are touched), brought up, given its addresses and MTU.
struct WireguardLink {
    std::string name;
    WireguardBackend backend = WireguardBackend::Auto;
    std::string wireguardGo = "wireguard-go";  ///< userspace implementation to run
    std::string privateKey;                    ///< base64 (never logged)
    uint16_t listenPort = 0;
    uint32_t fwmark = 0;
    unsigned mtu = 1420;
    std::vector<InterfaceAddress> addresses;
    std::vector<WireguardPeer> peers;
    auto operator<=>(const WireguardLink&) const = default;
};

/// A sysctl under /proc/sys, in dotted form ("net.ipv4.conf.all.src_valid_mark").
struct Sysctl {
    std::string key;
    std::string value;
    auto operator<=>(const Sysctl&) const = default;
};

/// Everything a plugin wants in the kernel. What it owned before and no longer
/// lists is removed by the core.
struct DesiredState {
    std::vector<nft::Table> tables;
    std::vector<Route> routes;
    std::vector<RoutingRule> rules;
    std::vector<WireguardLink> wireguard;
    std::vector<Sysctl> sysctls;
    bool operator==(const DesiredState&) const = default;
};

// ---------------------------------------------------------------- kernel view (read-only)
struct LinkInfo {
    int index = 0;
    std::string name;
    bool up = false;
    unsigned mtu = 0;
    std::vector<InterfaceAddress> addresses;
    bool operator==(const LinkInfo&) const = default;
};

struct WireguardPeerStatus {
    std::string publicKey;
    std::optional<Endpoint> endpoint;
    int64_t lastHandshake = 0;  ///< unix seconds, 0 = never
    uint64_t rxBytes = 0, txBytes = 0;
};

}  // namespace weft
