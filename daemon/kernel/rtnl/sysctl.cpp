#include "sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace weft::kernel {
namespace {

// /proc/sys/<key>, or nullopt for a key that could leave /proc/sys.
std::optional<std::string> pathOf(const std::string& key) {
    bool slashed = key.find('/') != std::string::npos;
    std::string rel;
    for (char c : key)
        rel += (!slashed && c == '.') ? '/' : c;
    std::istringstream parts(rel);
    std::string part;
    int n = 0;
    while (std::getline(parts, part, '/')) {
        if (part.empty() || part == "." || part == "..")
            return std::nullopt;
        ++n;
    }
    if (n == 0 || rel.back() == '/')
        return std::nullopt;
    return "/proc/sys/" + rel;
}

// Words separated by single spaces: the kernel prints some vectors with tabs.
std::string canonical(const std::string& v) {
    std::istringstream in(v);
    std::string word, out;
    while (in >> word)
        out += (out.empty() ? "" : " ") + word;
    return out;
}

// Writes `value`; returns 0 or an errno.
int writeFile(const std::string& path, const std::string& value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    std::string line = value + "\n";
    ssize_t n = ::write(fd, line.data(), line.size());
    int err = n < 0 ? errno : (size_t(n) != line.size() ? EIO : 0);
    ::close(fd);
    return err;
}

}  // namespace

std::optional<std::string> readSysctl(const std::string& key) {
    auto path = pathOf(key);
    if (!path)
        return std::nullopt;
    int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    std::string v;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        v.append(buf, size_t(n));
    ::close(fd);
    if (n < 0)
        return std::nullopt;
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ' || v.back() == '\t'))
        v.pop_back();
    return v;
}

std::vector<std::string> sysctlDrift(const std::vector<Sysctl>& desired) {
    std::vector<std::string> out;
    for (auto& s : desired) {
        auto now = readSysctl(s.key);
        if (now && canonical(*now) != canonical(s.value))
            out.push_back(s.key + " is " + *now + ", want " + s.value);
    }
    return out;
}

ApplyResult applySysctls(const std::vector<Sysctl>& desired) {
    ApplyResult res;
    for (auto& s : desired) {
        std::string what = "sysctl " + s.key + "=" + s.value;
        auto path = pathOf(s.key);
        if (!path) {
            res.errors.push_back(what + ": not a sysctl name");
            continue;
        }
        auto now = readSysctl(s.key);
        if (now && canonical(*now) == canonical(s.value))
            continue;
        if (int err = writeFile(*path, s.value)) {
            res.errors.push_back(what + ": " + std::strerror(err));
            continue;
        }
        auto after = readSysctl(s.key);
        if (!after || canonical(*after) != canonical(s.value))
            res.errors.push_back(what + ": the kernel kept " + after.value_or("(unreadable)"));
        else
            ++res.changes;
    }
    return res;
}

}  // namespace weft::kernel
