// Sysctls under /proc/sys, written only when they differ, and read back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kernel/apply_result.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

/// Writes each sysctl whose value differs (whitespace runs compare equal, so "4096 87380"
/// matches the kernel's tab-separated form) and reads it back. Keys are dotted
/// ("net.ipv4.conf.all.src_valid_mark") or, for names with dots in them, slashed
/// ("net/ipv4/conf/eth0.100/rp_filter"), as with sysctl(8).
ApplyResult applySysctls(const std::vector<Sysctl>& desired);
/// "key is V, want W" for each of `desired` whose current value differs (compared as
/// applySysctls compares); unreadable keys are left out (applySysctls reports them).
/// Reads one /proc/sys file per key: cheap enough to poll every second.
std::vector<std::string> sysctlDrift(const std::vector<Sysctl>& desired);
/// The current value, trimmed; nullopt if the key is malformed or unreadable.
std::optional<std::string> readSysctl(const std::string& key);

}  // namespace weft::kernel
