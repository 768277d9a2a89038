// This node's WireGuard identity: a private key in a 0600 file, generated once, at start.
#pragma once

#include <filesystem>
#include <string>

namespace weft::mesh {

struct Identity {
    std::filesystem::path file;
    std::string privateKey;  ///< base64; never logged, described or exported
    std::string publicKey;   ///< base64
};

/// Loads the identity from `file`. A missing file is generated when `generate` (written
/// atomically, mode 0600) and an error otherwise. An unreadable, corrupt or group/world-
/// readable file is always an error (std::runtime_error naming the path): replacing it would
/// silently make this node a stranger to every peer that knows its public key.
Identity loadIdentity(const std::filesystem::path& file, bool generate);

}  // namespace weft::mesh
