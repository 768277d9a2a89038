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
///
/// Keys are one value of `keyType`, or, when `concat` is not empty, a concatenation of one
/// value per listed type (`type ipv4_addr . inet_proto . inet_service`) whose elements are
/// Concat keys; `keyType` is then ignored. Concatenations may be intervals (the kernel's
/// pipapo set): each address or port part of an element is then a prefix or port range.
/// Maps (`dataType` set) are diffed element by element like sets: an element whose data
/// changed is deleted and added in the same transaction.
struct Set {
    std::string name;
    DataType keyType = DataType::Ipv4Addr;
    std::optional<DataType> dataType;             ///< set => map
    bool interval = false;                        ///< prefixes and ranges as elements
    std::optional<std::chrono::seconds> timeout;  ///< default element timeout
    ElementSet elements;           ///< keep and edit it: unchanged chunks are skipped by the diff
    std::vector<DataType> concat;  ///< concatenated key types (two or more), or empty
    auto operator<=>(const Set&) const = default;
};

/// A packet or flow field, as a concatenation loads it: the key of MatchSet, VerdictMap and
/// MapMark lookups and the input of a jhash. nft's names in comments. Address fields need the
/// family matched first in an inet table (MatchFamily); ports are the transport header's
/// (`th`), for TCP, UDP and SCTP alike.
enum class Field {
    IpSaddr,   ///< ip saddr (ipv4_addr)
    IpDaddr,   ///< ip daddr
    Ip6Saddr,  ///< ip6 saddr (ipv6_addr)
    Ip6Daddr,  ///< ip6 daddr
    L4Proto,   ///< meta l4proto (inet_proto)
    Sport,     ///< th sport (inet_service)
    Dport,     ///< th dport
    IifName,   ///< iifname (ifname)
    OifName,   ///< oifname
    Mark,      ///< meta mark (mark)
    CtMark,    ///< ct mark (mark)
};

/// Where a computed mark goes.
enum class MarkTarget { Meta, Ct };

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
/// `iifname "br0"`; a name ending in '*' matches every name it begins (`oifname "veth*"`).
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

/// The key (one field or a concatenation) in a named set: `ip saddr . th dport @allowed`.
struct MatchSet {
    std::vector<Field> key;
    std::string set;
    bool negate = false;
    auto operator<=>(const MatchSet&) const = default;
};
/// `ct status dnat` (any of the IPS_* bits in `bits`; 0x20 = dnat, 0x10 = snat).
struct MatchCtStatus {
    uint32_t bits = 0x20;
    bool negate = false;
    auto operator<=>(const MatchCtStatus&) const = default;
};
/// `ct direction original` / `reply`.
struct MatchCtDirection {
    bool reply = false;
    auto operator<=>(const MatchCtDirection&) const = default;
};
/// `fib daddr type local`: the destination is an address of this host (or, with `negate`, not).
struct MatchFibDaddrLocal {
    bool negate = false;
    auto operator<=>(const MatchFibDaddrLocal&) const = default;
};
/// `icmp type echo-request` / `icmpv6 type nd-neighbor-solicit` (the ICMP protocol match
/// included; in an inet table match the family before).
struct MatchIcmpType {
    Family family = Family::V4;
    uint8_t type = 8;
    bool negate = false;
    auto operator<=>(const MatchIcmpType&) const = default;
};

// Statements.
/// An anonymous counter on the rule (`counter packets N bytes M`).
struct Counter {
    auto operator<=>(const Counter&) const = default;
};
/// `counter name "denied"`: counts into the table's named counter (Table::counters). Its
/// values survive rule and chain replacement; a plugin reads them with Host::counters().
struct CounterRef {
    std::string name;
    auto operator<=>(const CounterRef&) const = default;
};
/// `log prefix P` to the kernel log, or with `group` to nflog (Host::subscribeLog).
struct Log {
    std::string prefix;
    std::optional<uint16_t> group;  ///< nflog group
    auto operator<=>(const Log&) const = default;
};
/// `limit rate N/unit [burst B packets]`: matches while under the rate.
struct Limit {
    enum class Per { Second, Minute, Hour, Day } per = Per::Second;
    uint64_t rate = 10;
    uint32_t burst = 5;  ///< nft's default, not printed
    auto operator<=>(const Limit&) const = default;
};
/// `reject`: answers a refused packet. Kinds as nft names them; `family` picks `icmp` (V4) or
/// `icmpv6` (V6) over `icmpx` (either: match the family before the rule in an inet table).
/// TcpReset adds its `meta l4proto tcp` match, as nft does.
struct Reject {
    enum class Kind {
        PortUnreachable,
        AdminProhibited,
        HostUnreachable,
        TcpReset
    } kind = Kind::PortUnreachable;
    std::optional<Family> family;
    auto operator<=>(const Reject&) const = default;
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
///
/// Under the whole word it is `meta mark set ct mark`. Under a narrower mask the core writes
/// the per-bit pattern, because combining two registers needs two-operand bitwise, which
/// libnftnl 1.2.4 cannot build and nft 1.0.6 cannot list (it aborts on such a rule): the rule
/// jumps to a chain the core adds, `__weft_mark_<hash>`, that clears the bits under the mask
/// (`meta mark set meta mark & ~mask`), sets each bit the flow's ct mark has
/// (`ct mark & bit == bit meta mark set meta mark | bit`), then runs what followed MarkFromCt
/// in the rule. Other managers' mark bits are never touched. Only `return` may not follow a
/// masked MarkFromCt (it would return from the added chain, not the rule's).
struct MarkFromCt {
    uint32_t mask = 0xffffffff;
    auto operator<=>(const MarkFromCt&) const = default;
};
/// ct mark set (ct mark & ~mask) | (meta mark & mask): saves the packet mark into the flow;
/// the same per-bit pattern as MarkFromCt under a narrower mask.
struct CtMarkFromMark {
    uint32_t mask = 0xffffffff;
    auto operator<=>(const CtMarkFromMark&) const = default;
};
/// A hash or counter mod `modulus` (plus `offset`), written into the meta or ct mark, either
/// itself or looked up in the map `map` (key Mark, data Mark):
///   `ct mark set jhash ip saddr . ip daddr mod 256 seed 0x1 map @buckets`
///   `meta mark set symhash mod 2 offset 100`, `meta mark set numgen inc mod 3`.
/// Under a partial `mask` (with a map in the same table, used by no other rule) the core keeps
/// the other bits: it turns the map into a verdict map from the hash to chains of its own,
/// `__weft_ctmark_<value>_<mask>` (or `__weft_mark_...`), each setting one value under the
/// mask, so `nft list` shows `jhash ... vmap @buckets`; the map's elements stay yours and are
/// diffed one by one as before.
struct HashMark {
    enum class Kind { Numgen, Jhash, Symhash } kind = Kind::Jhash;
    std::vector<Field> fields = {Field::IpSaddr};  ///< Jhash input (concatenated)
    uint32_t modulus = 1;
    std::optional<uint32_t> seed;  ///< Jhash; unset: the kernel's random seed
    uint32_t offset = 0;
    std::string map;  ///< empty: write the hash itself
    MarkTarget target = MarkTarget::Meta;
    uint32_t mask = 0xffffffff;
    auto operator<=>(const HashMark&) const = default;
};
/// `meta mark set ip saddr map @m` / `ct mark set ... map @m`: the key's data in map `map`
/// (data Mark) becomes the mark; a packet whose key is not in the map stops the rule.
struct MapMark {
    std::vector<Field> key;
    std::string map;
    MarkTarget target = MarkTarget::Meta;
    auto operator<=>(const MapMark&) const = default;
};
/// `ip saddr . th dport vmap @m`: the verdict stored for the key in map `map` (data
/// Verdict); a packet whose key is not in it goes on with the next rule.
struct VerdictMap {
    std::vector<Field> key;
    std::string map;
    auto operator<=>(const VerdictMap&) const = default;
};
/// `jhash ip saddr . ip daddr mod 256 seed 0x1 vmap @m`: the verdict stored for the hash of
/// `hash` (its kind, fields, modulus, seed and offset; not its map, target or mask) in map `map`
/// (key Mark, data Verdict).
struct HashVerdictMap {
    HashMark hash;
    std::string map;
    auto operator<=>(const HashVerdictMap&) const = default;
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
                          CtMarkFromMark, HashMark, ClampMss, Nat, VerdictStmt, MatchSet,
                          MatchCtStatus, MatchCtDirection, MatchFibDaddrLocal, MatchIcmpType,
                          CounterRef, Limit, Reject, MapMark, VerdictMap, HashVerdictMap>;

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
    Rule& counter(std::string name) { return add(CounterRef{std::move(name)}); }
    Rule& log(std::string prefix) { return add(Log{std::move(prefix), std::nullopt}); }
    Rule& logGroup(uint16_t group, std::string prefix) {
        return add(Log{std::move(prefix), group});
    }
    Rule& limit(uint64_t rate, Limit::Per per = Limit::Per::Second, uint32_t burst = 5) {
        return add(Limit{per, rate, burst});
    }
    Rule& in(std::vector<Field> key, std::string set, bool negate = false) {
        return add(MatchSet{std::move(key), std::move(set), negate});
    }
    Rule& vmap(std::vector<Field> key, std::string map) {
        return add(VerdictMap{std::move(key), std::move(map)});
    }
    Rule& reject(Reject::Kind k = Reject::Kind::PortUnreachable,
                 std::optional<Family> f = std::nullopt) {
        return add(Reject{k, f});
    }
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
/// Chain names starting "__weft_" are the core's (see MarkFromCt).
struct Table {
    TableFamily family = TableFamily::Inet;
    std::string name;  ///< must be in the plugin's lease, e.g. "weft_fwmark_routing"
    std::vector<Set> sets;
    std::vector<Chain> chains;
    /// Named counters (`counter denied { }`) for CounterRef; created once, never reset by a
    /// reconcile, deleted when no longer listed.
    std::vector<std::string> counters;
    auto operator<=>(const Table&) const = default;
};

/// A named counter's values, as Host::counters() reads them.
struct CounterValue {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    auto operator<=>(const CounterValue&) const = default;
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
    uint16_t listenPort = 0;  ///< 0: any port, picked once when the link is created
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
