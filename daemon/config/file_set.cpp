#include "file_set.hpp"
#include <algorithm>

#include <map>
#include <optional>

namespace weft::config {
namespace fs = std::filesystem;

bool isMasked(const fs::path& p) {
    std::error_code ec;
    if (!fs::is_symlink(p, ec))
        return false;
    if (fs::read_symlink(p, ec) == "/dev/null")
        return true;
    return fs::canonical(p, ec) == "/dev/null";  // a chain of links ending there
}

fs::path underRoot(const SearchPath& sp, const fs::path& dir) {
    return sp.root.empty() ? dir : sp.root / dir.relative_path();
}

static bool present(const fs::path& p) {
    std::error_code ec;
    return fs::symlink_status(p, ec).type() != fs::file_type::not_found && !ec;
}

static std::optional<fs::path> mainFile(const SearchPath& sp, const std::string& name) {
    for (auto& dir : sp.dirs) {
        fs::path p = underRoot(sp, dir) / (name + ".conf");
        if (present(p))
            return isMasked(p) ? std::nullopt : std::optional(p);
    }
    return std::nullopt;
}

// A drop-in candidate: "*.conf", not hidden (like systemd's glob).
static bool isDropInName(const std::string& f) {
    return f.size() > 5 && f[0] != '.' && f.compare(f.size() - 5, 5, ".conf") == 0;
}

std::vector<fs::path> findFiles(const SearchPath& sp, const std::string& name) {
    std::vector<fs::path> out;
    if (auto main = mainFile(sp, name))
        out.push_back(*main);
    std::map<std::string, fs::path> dropIns;  // file name -> winning path; sorted by name
    for (auto& dir : sp.dirs) {
        std::error_code ec;
        fs::directory_iterator it(underRoot(sp, dir) / (name + ".conf.d"), ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            std::string f = it->path().filename().string();
            std::error_code dec;
            // A directory is not a drop-in and must not hide a lower file of its name.
            if (isDropInName(f) && !fs::is_directory(it->path(), dec))
                dropIns.emplace(f, it->path());  // a higher directory came first and stays
        }
    }
    for (auto& [f, p] : dropIns) {
        if (!isMasked(p))
            out.push_back(p);
    }
    return out;
}

std::vector<fs::path> findDataFiles(const SearchPath& sp, const std::string& dirName,
                                    const std::vector<std::string>& extensions) {
    std::map<std::string, fs::path> found;  // file name -> winning path; sorted by name
    for (auto& dir : sp.dirs) {
        std::error_code ec;
        fs::directory_iterator it(underRoot(sp, dir) / dirName, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            std::string f = it->path().filename().string();
            bool wanted =
                f[0] != '.' &&
                std::any_of(extensions.begin(), extensions.end(), [&](const std::string& e) {
                    return f.size() > e.size() && f.ends_with(e);
                });
            std::error_code dec;
            if (wanted && !fs::is_directory(it->path(), dec))
                found.emplace(f, it->path());  // a higher directory came first and stays
        }
    }
    std::vector<fs::path> out;
    for (auto& [f, p] : found)
        if (!isMasked(p))
            out.push_back(p);
    return out;
}

}  // namespace weft::config
