#include "sysctl.hpp"

#include <fstream>

namespace weft::kernel {

static std::string pathOf(const std::string& key) {
    std::string p = "/proc/sys/";
    for (char c : key)
        p += c == '.' ? '/' : c;
    return p;
}

std::optional<std::string> readSysctl(const std::string& key) {
    std::ifstream in(pathOf(key));
    std::string v;
    if (!in || !std::getline(in, v))
        return std::nullopt;
    while (!v.empty() && (v.back() == ' ' || v.back() == '\n'))
        v.pop_back();
    return v;
}

ApplyResult applySysctls(const std::vector<Sysctl>& desired) {
    ApplyResult r;
    for (auto& s : desired) {
        if (readSysctl(s.key) == s.value)
            continue;
        {
            std::ofstream out(pathOf(s.key));
            out << s.value << "\n";
        }
        if (readSysctl(s.key) != s.value) {
            r.errors.push_back("sysctl " + s.key + "=" + s.value + ": could not be written");
        } else {
            ++r.changes;
        }
    }
    return r;
}

}  // namespace weft::kernel
