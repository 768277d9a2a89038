// Who may change state over D-Bus: root, or members of group "weft".
#pragma once

#include <sdbus-c++/sdbus-c++.h>

namespace weft {

/// Throws org.weft.Weft1.Error.AccessDenied unless the sender of `msg` is privileged.
/// The bus policy already refuses others; this is the second fence.
void requirePrivileged(const sdbus::Message* msg);

}  // namespace weft
