// Running a command as an outside witness of the kernel (nft, ip), for the kernel engine tests.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <memory>
#include <string>

namespace weft::test {

struct CmdResult {
    int status = -1;  ///< exit status
    std::string out;  ///< stdout and stderr
};

/// Runs a shell command, collecting its output.
inline CmdResult sh(const std::string& cmd) {
    CmdResult r;
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen((cmd + " 2>&1").c_str(), "r"), pclose);
    if (!p)
        return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p.get())) > 0)
        r.out.append(buf, n);
    int st = pclose(p.release());
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

}  // namespace weft::test
