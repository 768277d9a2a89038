// This node's WireGuard identity: a private key kept in a 0600 file.
#pragma once

#include <filesystem>
#include <string>

namespace weft::mesh {

/// Reads the private key from `file`; if the file does not exist and `mayCreate`, generates
/// one and writes it atomically (temp file, fsync, rename), mode 0600. An unreadable or
/// corrupt file is an error (std::runtime_error naming the path), never a silent new identity.
std::string loadOrCreateKey(const std::filesystem::path& file, bool mayCreate);

}  // namespace weft::mesh
