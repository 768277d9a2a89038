#include "output.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace weftctl {

bool useColour() {
    static const bool colour = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
    return colour;
}

std::string colourState(const std::string& s) {
    if (!useColour())
        return s;
    const char* c = "\033[33m";
    if (s == "running" || s == "up" || s == "connected")
        c = "\033[32m";
    if (s == "failed" || s == "down" || s == "disconnected")
        c = "\033[31m";
    return std::string(c) + s + "\033[0m";
}

// Width ignoring ANSI escapes, so coloured cells still align.
static size_t visibleWidth(const std::string& s) {
    size_t w = 0;
    bool esc = false;
    for (char ch : s) {
        if (ch == '\033')
            esc = true;
        else if (esc && ch == 'm')
            esc = false;
        else if (!esc)
            ++w;
    }
    return w;
}

void printTable(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (auto& r : rows) {
        for (size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i)
                width.push_back(0);
            width[i] = std::max(width[i], visibleWidth(r[i]));
        }
    }
    for (size_t ri = 0; ri < rows.size(); ++ri) {
        std::string line;
        for (size_t i = 0; i < rows[ri].size(); ++i) {
            std::string cell = rows[ri][i];
            if (ri == 0 && useColour())
                cell = "\033[1m" + cell + "\033[0m";
            line += cell;
            if (i + 1 < rows[ri].size())
                line += std::string(width[i] - visibleWidth(rows[ri][i]) + 2, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
}

std::string humanBytes(uint64_t n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(n);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

}  // namespace weftctl
