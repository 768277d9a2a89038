// Sysctls under /proc/sys, written only when they differ.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kernel/apply_result.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

ApplyResult applySysctls(const std::vector<Sysctl>& desired);
/// "net.ipv4.conf.all.rp_filter" -> its current value, trimmed; nullopt if unreadable.
std::optional<std::string> readSysctl(const std::string& key);

}  // namespace weft::kernel
