#include "ct_cli.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace weft::test {

namespace {

// The value after the first "name=" in a `conntrack -L` line, or "".
std::string field(const std::string& line, const std::string& name) {
    size_t at = line.find(" " + name + "=");
    if (at == std::string::npos)
        return {};
    at += name.size() + 2;
    return line.substr(at, line.find(' ', at) - at);
}

}  // namespace

void insertFlows(const std::vector<std::string>& argLines) {
    char path[] = "/tmp/weft-ct-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    std::string text;
    for (auto& args : argLines)
        text += "-I " + args + "\n";
    ASSERT_EQ(write(fd, text.data(), text.size()), ssize_t(text.size()));
    close(fd);
    auto r = sh("conntrack -R " + std::string(path));
    unlink(path);
    ASSERT_EQ(r.status, 0) << r.out;
}

void insertFlows(const std::vector<TestFlow>& flows) {
    std::vector<std::string> lines;
    for (auto& f : flows)
        lines.push_back(f.args);
    insertFlows(lines);
}

void flushFlows() {
    auto r = sh("conntrack -F");
    ASSERT_EQ(r.status, 0) << r.out;
}

std::multiset<std::string> flowKeys(const std::string& args) {
    std::multiset<std::string> keys;
    auto r = sh("conntrack -L " + args);
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find(" src=") == std::string::npos)
            continue;  // the CLI's summary line
        std::string key =
            line.substr(0, line.find(' ')) + " " + field(line, "src") + " " + field(line, "dst");
        if (std::string port = field(line, "dport"); !port.empty())
            key += " " + port;
        keys.insert(key);
    }
    return keys;
}

size_t countFlows(const std::string& args) {
    return flowKeys(args).size();
}

}  // namespace weft::test
