// The flows most conntrack tests start from: both families, TCP, UDP and ICMP, several
// addresses, ports and marks, so each filter field selects a different subset.
#pragma once

#include <string>
#include <vector>

#include "ct_cli.hpp"
#include "weft/prefix.hpp"

namespace weft::test {

inline const std::vector<TestFlow>& sampleFlows() {
    static const std::vector<TestFlow> flows = {
        {"t4a", "tcp 10.0.0.1 10.0.0.2 80",
         "-s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 1000 --dport 80 --state ESTABLISHED "
         "-u ASSURED -t 300 -m 0x10"},
        {"t4b", "tcp 10.0.1.1 192.168.1.2 443",
         "-s 10.0.1.1 -d 192.168.1.2 -p tcp --sport 1001 --dport 443 --state ESTABLISHED "
         "-u ASSURED -t 300 -m 0x21"},
        {"u4a", "udp 10.0.0.5 10.0.0.2 53",
         "-s 10.0.0.5 -d 10.0.0.2 -p udp --sport 5353 --dport 53 -t 300 -m 0x30"},
        {"u4b", "udp 10.0.0.9 10.0.0.2 8443",
         "-s 10.0.0.9 -d 10.0.0.2 -p udp --sport 4000 --dport 8443 -t 300 -m 0x11"},
        {"i4", "icmp 10.0.0.1 10.0.0.3",
         "-s 10.0.0.1 -d 10.0.0.3 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 5 -t 300 "
         "-m 0x10"},
        {"t6", "tcp fd00::1 fd00:1::2 80",
         "-s fd00::1 -d fd00:1::2 -p tcp --sport 2000 --dport 80 --state ESTABLISHED "
         "-u ASSURED -t 300 -m 0x10"},
        {"u6", "udp fd00::5 fd00:1::3 8080",
         "-s fd00::5 -d fd00:1::3 -p udp --sport 3000 --dport 8080 -t 300 -m 0x12"},
        {"i6", "icmpv6 fd00::1 fd00:1::4",
         "-s fd00::1 -d fd00:1::4 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 "
         "--icmpv6-id 7 -t 300 -m 0"},
    };
    return flows;
}

/// A prefix from text; the tests only use valid ones.
inline Prefix prefix(const std::string& text) {
    return Prefix::parse(text).value();
}

}  // namespace weft::test
