#include "file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weft::config {
namespace {

constexpr const char* kPrefix = "cannot read file: ";

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

const char* kindOf(mode_t m) {
    if (S_ISFIFO(m))
        return "FIFO";
    if (S_ISCHR(m))
        return "character device";
    if (S_ISBLK(m))
        return "block device";
    if (S_ISSOCK(m))
        return "socket";
    return "special file";
}

// Empty when `st` describes a regular file we may read whole, else the reason.
std::string refusal(const struct stat& st) {
    if (S_ISDIR(st.st_mode))
        return std::string(kPrefix) + std::strerror(EISDIR);
    if (!S_ISREG(st.st_mode))
        return std::string(kPrefix) + "not a regular file (" + kindOf(st.st_mode) + ")";
    if (size_t(st.st_size) > kMaxConfigFileSize)
        return std::string(kPrefix) + "larger than 16 MiB (" + std::to_string(st.st_size) +
               " bytes)";
    return {};
}

std::string failure() {
    return std::string(kPrefix) + std::strerror(errno);
}

}  // namespace

bool readConfigFile(const std::filesystem::path& p, std::string& out, std::string& why) {
    // stat before open: opening a device can have effects of its own. O_NONBLOCK and the
    // fstat below cover a file swapped for a FIFO in between.
    struct stat st {};
    if (::stat(p.c_str(), &st) < 0) {
        why = failure();
        return false;
    }
    if (why = refusal(st); !why.empty())
        return false;
    Fd f{::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
    if (f.fd < 0 || ::fstat(f.fd, &st) < 0) {
        why = failure();
        return false;
    }
    if (why = refusal(st); !why.empty())
        return false;
    out.clear();
    char buf[8192];
    ssize_t n = 0;
    while ((n = ::read(f.fd, buf, sizeof buf)) > 0) {
        out.append(buf, size_t(n));
        if (out.size() > kMaxConfigFileSize) {  // grew while we read it
            why = std::string(kPrefix) + "larger than 16 MiB";
            return false;
        }
    }
    if (n < 0) {
        why = failure();
        return false;
    }
    return true;
}

}  // namespace weft::config
