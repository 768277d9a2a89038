// The conntrack command line as the outside witness of the kernel's table: it creates the
// flows the tests delete and lists what is left, independently of the code under test.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "../shell_cmd.hpp"

namespace weft::test {

/// A flow for `conntrack -I`, with the key `flowKeys()` lists it by.
struct TestFlow {
    std::string name;  ///< what a test calls it
    std::string key;   ///< "tcp 10.0.0.1 10.0.0.2 80", "icmp 10.0.0.1 10.0.0.3"
    std::string args;  ///< `conntrack -I` arguments
};

/// Inserts flows (lines of `conntrack -I` arguments) with one `conntrack -R` run; fails the
/// current test when the CLI does.
void insertFlows(const std::vector<std::string>& argLines);
void insertFlows(const std::vector<TestFlow>& flows);
/// Empties the table (`conntrack -F`).
void flushFlows();
/// `conntrack -L <args>`, as keys: protocol, original source, destination and destination
/// port (when the protocol has one), e.g. "udp fd00::5 fd00:1::3 8080".
std::multiset<std::string> flowKeys(const std::string& args = "");
/// Number of flows `conntrack -L <args>` lists.
size_t countFlows(const std::string& args = "");

}  // namespace weft::test
