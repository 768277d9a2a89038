#include "privilege.hpp"

#include <grp.h>
#include <pwd.h>

#include <vector>

namespace weft {

static bool inGroupWeft(uid_t uid) {
    struct group* g = getgrnam("weft");
    if (!g)
        return false;
    struct passwd* pw = getpwuid(uid);
    if (!pw)
        return false;
    if (pw->pw_gid == g->gr_gid)
        return true;
    for (char** m = g->gr_mem; m && *m; ++m) {
        if (std::string(*m) == pw->pw_name)
            return true;
    }
    return false;
}

void requirePrivileged(const sdbus::Message* msg) {
    if (!msg)
        return;  // called from inside weftd itself
    uid_t uid = msg->getCredsEuid();
    if (uid == 0 || inGroupWeft(uid))
        return;
    throw sdbus::Error("org.weft.Weft1.Error.AccessDenied",
                       "only root or members of group weft may change weftd's state");
}

}  // namespace weft
