#include "key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "weft/wireguard_key.hpp"

namespace weft::mesh {

namespace {

/// An owned file descriptor.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const { return fd_; }
    /// Closes now, reporting the error that close() may return after a delayed write.
    bool close() {
        int fd = fd_;
        fd_ = -1;
        return ::close(fd) == 0;
    }

  private:
    int fd_;
};

std::runtime_error failure(const std::string& what, const std::filesystem::path& file) {
    return std::runtime_error(what + " " + file.string() + ": " + std::strerror(errno));
}

bool writeAll(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(size_t(n));
    }
    return true;
}

/// Makes the rename itself durable: the directory entry lives in the directory's inode.
void syncDirectory(const std::filesystem::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0)
        ::fsync(fd.get());
}

}  // namespace

std::string readTextFile(const std::filesystem::path& file, size_t limit) {
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0)
        throw failure("cannot open", file);
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw failure("cannot read", file);
        if (n == 0)
            return text;
        text.append(buf, size_t(n));
        if (text.size() > limit)
            throw std::runtime_error(file.string() + " is larger than " + std::to_string(limit) +
                                     " bytes");
    }
}

std::string readKeyFile(const std::filesystem::path& file) {
    std::string text = readTextFile(file, 256);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    if (!wg::isValidKey(text)) {
        throw std::runtime_error(file.string() +
                                 " does not hold a WireGuard key (one line of base64 of 32 bytes)");
    }
    return text;
}

std::optional<std::string> keyFileProblem(const std::filesystem::path& file) {
    try {
        readKeyFile(file);
        return std::nullopt;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

std::optional<std::string> exposedKeyFile(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        !(st.st_mode & (S_IRGRP | S_IROTH)))
        return std::nullopt;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return file.string() + " is readable by its group or others (mode " + mode +
           "); a private key must be readable by its owner only: chmod 600 " + file.string();
}

std::string readPrivateKeyFile(const std::filesystem::path& file) {
    if (auto why = exposedKeyFile(file))
        throw std::runtime_error(*why);
    return readKeyFile(file);
}

std::optional<std::string> privateKeyFileProblem(const std::filesystem::path& file) {
    try {
        readPrivateKeyFile(file);
        return std::nullopt;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

std::vector<std::filesystem::path> removeStaleTemporaries(const std::filesystem::path& file) {
    std::vector<std::filesystem::path> removed;
    std::string stem = file.filename().string() + ".";
    std::error_code ec;
    auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    for (auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        // mkostemp() replaces "XXXXXX" with six letters or digits.
        bool temporary = name.size() == stem.size() + 6 &&
                         name.compare(0, stem.size(), stem) == 0 &&
                         std::all_of(name.begin() + long(stem.size()), name.end(),
                                     [](unsigned char c) { return std::isalnum(c); });
        std::error_code rm;
        if (temporary && entry.is_regular_file(rm) && std::filesystem::remove(entry.path(), rm))
            removed.push_back(entry.path());
    }
    return removed;
}

void writeFileAtomically(const std::filesystem::path& file, std::string_view content, mode_t mode) {
    std::string pattern = file.string() + ".XXXXXX";
    Fd fd(::mkostemp(pattern.data(), O_CLOEXEC));
    if (fd.get() < 0)
        throw failure("cannot create a temporary file for", file);
    std::filesystem::path tmp = pattern;
    // mkostemp creates 0600; set the wanted mode before any byte is written.
    bool ok = ::fchmod(fd.get(), mode) == 0 && writeAll(fd.get(), content) &&
              ::fsync(fd.get()) == 0 && fd.close();
    if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
        auto error = failure("cannot write", file);
        ::unlink(tmp.c_str());
        throw error;
    }
    syncDirectory(file.parent_path().empty() ? "." : file.parent_path());
}

}  // namespace weft::mesh
