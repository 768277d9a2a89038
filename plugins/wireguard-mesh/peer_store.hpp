// Runtime peers on disk: <runtime directory>/peers.json, so a daemon restart keeps the peers
// added over D-Bus (a reboot does not: /run is empty again).
//
// The file is a JSON array of objects {"name", "publicKey", "endpoints": [..],
// "allowedIps": [..], "persistentKeepalive": seconds (0 = the [Mesh] default)}.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mesh_config.hpp"

namespace weft::mesh {

std::string serializePeers(const std::vector<PeerSpec>& peers);
/// Parses the file's text. Entries that are not valid peers are skipped with one message
/// each in `problems`; text that is not a JSON array throws std::runtime_error.
std::vector<PeerSpec> parsePeers(const std::string& text, std::vector<std::string>& problems);

/// Reads the file; a missing file is no peers. Throws std::runtime_error naming the file.
std::vector<PeerSpec> loadPeers(const std::filesystem::path& file,
                                std::vector<std::string>& problems);
/// Writes the file atomically; throws std::runtime_error naming the file.
void savePeers(const std::filesystem::path& file, const std::vector<PeerSpec>& peers);

}  // namespace weft::mesh
