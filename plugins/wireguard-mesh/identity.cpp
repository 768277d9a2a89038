#include "identity.hpp"

#include <stdexcept>
#include <system_error>

#include "key_file.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::mesh {

namespace {

Identity fromPrivateKey(const std::filesystem::path& file, std::string privateKey) {
    auto publicKey = wg::publicKeyFor(privateKey);
    if (!publicKey)
        throw std::runtime_error(file.string() + " does not hold a WireGuard private key");
    return Identity{file, std::move(privateKey), *publicKey};
}

}  // namespace

Identity loadIdentity(const std::filesystem::path& file, bool generate) {
    std::error_code ec;
    auto status = std::filesystem::symlink_status(file, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        throw std::runtime_error("cannot inspect private key file " + file.string() + ": " +
                                 ec.message());
    if (status.type() != std::filesystem::file_type::not_found) {
        if (auto why = exposedKeyFile(file))
            throw std::runtime_error("private key: " + *why);
        try {
            return fromPrivateKey(file, readKeyFile(file));
        } catch (const std::exception& e) {
            throw std::runtime_error(
                std::string("private key: ") + e.what() +
                "; refusing to start with another identity (restore the file, or delete it to "
                "become a new node)");
        }
    }
    if (!generate) {
        throw std::runtime_error("private key file " + file.string() +
                                 " does not exist; refusing to become another node while running "
                                 "(restore the file; a new key is generated only when weftd "
                                 "starts the plugin)");
    }
    Identity id = fromPrivateKey(file, wg::generatePrivateKey());
    writeFileAtomically(file, id.privateKey + "\n", 0600);
    return id;
}

}  // namespace weft::mesh
