// Reads one config file, refusing what is not a regular file of sane size: a FIFO would
// block weftd in open() and a link to /dev/zero would grow it until the OOM killer comes.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace weft::config {

/// The largest config file read (16 MiB): room for a drop-in listing 100,000 prefixes (3 MB),
/// and a bound on what a file can make weftd allocate.
constexpr size_t kMaxConfigFileSize = 16 * 1024 * 1024;

/// Reads the whole regular file `p` (a symlink is followed) into `out`. On failure returns
/// false and `why` says why: "cannot read file: Permission denied", "... not a regular file
/// (FIFO)", "... larger than 16 MiB". Never blocks on a FIFO or device.
bool readConfigFile(const std::filesystem::path& p, std::string& out, std::string& why);

}  // namespace weft::config
