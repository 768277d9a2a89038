#include "identity.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "weft/wireguard_key.hpp"

namespace weft::mesh {

static void writeAtomically(const std::filesystem::path& file, const std::string& text) {
    auto tmp = file;
    tmp += ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot write " + tmp.string());
    bool ok = write(fd, text.data(), text.size()) == ssize_t(text.size()) && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp.c_str(), file.c_str()) != 0) {
        unlink(tmp.c_str());
        throw std::runtime_error("cannot write " + file.string());
    }
}

std::string loadOrCreateKey(const std::filesystem::path& file, bool mayCreate) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        if (!mayCreate)
            throw std::runtime_error("private key file " + file.string() + " does not exist");
        std::string key = wg::generatePrivateKey();
        writeAtomically(file, key + "\n");
        return key;
    }
    std::ifstream in(file);
    std::string key;
    if (!in || !std::getline(in, key)) {
        throw std::runtime_error("cannot read private key file " + file.string());
    }
    if (!wg::isValidKey(key)) {
        throw std::runtime_error(
            "private key file " + file.string() +
            " is corrupt (not a base64 WireGuard key); refusing to replace this node's identity");
    }
    return key;
}

}  // namespace weft::mesh
