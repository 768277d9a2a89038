// Small files that hold secrets or state: WireGuard key files (one base64 key, as `wg genkey`
// writes them) and atomic replacement of a file.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::mesh {

/// Reads a key file: one base64 WireGuard key, optionally followed by a newline. Throws
/// std::runtime_error naming the path when it cannot be read or holds anything else. The
/// message never contains the file's content.
std::string readKeyFile(const std::filesystem::path& file);

/// Why `file` is not a readable key file, or nullopt when it is (for config validation).
std::optional<std::string> keyFileProblem(const std::filesystem::path& file);

/// Why `file`, a private key, is exposed: its group or others may read it (ssh and wg refuse
/// or warn about such files too). nullopt when it is private or cannot be inspected.
std::optional<std::string> exposedKeyFile(const std::filesystem::path& file);
/// readKeyFile() for a private key: also refuses an exposed file.
std::string readPrivateKeyFile(const std::filesystem::path& file);
std::optional<std::string> privateKeyFileProblem(const std::filesystem::path& file);

/// Removes what writeFileAtomically(`file`) leaves behind when it is killed: the files
/// "<file>.XXXXXX" beside it. Returns the paths removed.
std::vector<std::filesystem::path> removeStaleTemporaries(const std::filesystem::path& file);

/// Replaces `file` with `content` so that a reader (or a crash) sees the old or the new
/// file, never a mix: a temporary file in the same directory created with `mode`, fsync,
/// rename over `file`, fsync of the directory. Throws std::runtime_error naming the path.
void writeFileAtomically(const std::filesystem::path& file, std::string_view content, mode_t mode);

/// Reads a whole text file of at most `limit` bytes; throws std::runtime_error naming it.
std::string readTextFile(const std::filesystem::path& file, size_t limit);

}  // namespace weft::mesh
