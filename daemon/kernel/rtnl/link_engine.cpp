#include "link_engine.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>

#include "rtnl_socket.hpp"

namespace weft::kernel {

using namespace rtnl;

LinkEngine::LinkEngine() : sock_(std::make_unique<RtnlSocket>()) {}
LinkEngine::~LinkEngine() = default;
uint32_t LinkEngine::portId() const {
    return sock_->portId();
}

static bool linkLocal(const InterfaceAddress& a) {
    return a.address.family == Family::V6 && a.address.bytes[0] == 0xfe &&
           (a.address.bytes[1] & 0xc0) == 0x80;
}

std::vector<LinkInfo> LinkEngine::links() {
    std::map<int, LinkInfo> byIndex;
    sock_->dump(
        RTM_GETLINK,
        [](nlmsghdr* nlh) {
            auto* i = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
            i->ifi_family = AF_UNSPEC;
        },
        [&](const nlmsghdr* nlh) {
            auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
            LinkInfo l;
            l.index = ifi->ifi_index;
            l.up = ifi->ifi_flags & IFF_UP;
            forEachAttr(nlh, sizeof(*ifi), [&](const nlattr* a) {
                if (mnl_attr_get_type(a) == IFLA_IFNAME)
                    l.name = mnl_attr_get_str(a);
                if (mnl_attr_get_type(a) == IFLA_MTU)
                    l.mtu = mnl_attr_get_u32(a);
            });
            byIndex[l.index] = l;
        });
    sock_->dump(
        RTM_GETADDR,
        [](nlmsghdr* nlh) {
            auto* i = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
            i->ifa_family = AF_UNSPEC;
        },
        [&](const nlmsghdr* nlh) {
            auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
            if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return;
            Family f = ifa->ifa_family == AF_INET ? Family::V4 : Family::V6;
            std::optional<Address> local, address;
            forEachAttr(nlh, sizeof(*ifa), [&](const nlattr* a) {
                auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(a));
                if (mnl_attr_get_type(a) == IFA_LOCAL)
                    local = Address::fromBytes(f, p);
                if (mnl_attr_get_type(a) == IFA_ADDRESS)
                    address = Address::fromBytes(f, p);
            });
            auto addr = local ? local : address;  // IFA_LOCAL is ours on point-to-point links
            auto it = byIndex.find(int(ifa->ifa_index));
            if (addr && it != byIndex.end()) {
                it->second.addresses.push_back(InterfaceAddress{*addr, ifa->ifa_prefixlen});
            }
        });
    std::vector<LinkInfo> out;
    for (auto& [i, l] : byIndex) {
        std::sort(l.addresses.begin(), l.addresses.end());
        out.push_back(l);
    }
    return out;
}

std::optional<LinkInfo> LinkEngine::link(const std::string& name) {
    for (auto& l : links()) {
        if (l.name == name)
            return l;
    }
    return std::nullopt;
}

static void buildAddr(nlmsghdr* nlh, int index, const InterfaceAddress& a) {
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = a.address.family == Family::V4 ? AF_INET : AF_INET6;
    ifa->ifa_prefixlen = a.prefixLength;
    ifa->ifa_index = uint32_t(index);
    // A tunnel address needs no duplicate detection, and must be usable at once.
    ifa->ifa_flags = a.address.family == Family::V6 ? IFA_F_NODAD : 0;
    mnl_attr_put(nlh, IFA_LOCAL, a.address.size(), a.address.bytes.data());
    mnl_attr_put(nlh, IFA_ADDRESS, a.address.size(), a.address.bytes.data());
}

ApplyResult LinkEngine::configure(const std::string& name, unsigned mtu,
                                  const std::vector<InterfaceAddress>& addresses) {
    ApplyResult res;
    auto l = link(name);
    if (!l) {
        res.errors.push_back("link " + name + " does not exist");
        return res;
    }
    if (!l->up || (mtu && l->mtu != mtu)) {
        int err = sock_->request(RTM_NEWLINK, 0, [&](nlmsghdr* nlh) {
            auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
            ifi->ifi_index = l->index;
            ifi->ifi_flags = IFF_UP;
            ifi->ifi_change = IFF_UP;
            if (mtu)
                mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
        });
        if (err < 0)
            res.errors.push_back("set link " + name + " up, mtu " + std::to_string(mtu) + ": " +
                                 errnoText(err));
        else
            ++res.changes;
    }
    for (auto& a : addresses) {
        if (std::find(l->addresses.begin(), l->addresses.end(), a) != l->addresses.end())
            continue;
        int err = sock_->request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
                                 [&](nlmsghdr* nlh) { buildAddr(nlh, l->index, a); });
        if (err < 0)
            res.errors.push_back("address " + a.str() + " on " + name + ": " + errnoText(err));
        else
            ++res.changes;
    }
    for (auto& a : l->addresses) {
        if (linkLocal(a) || std::find(addresses.begin(), addresses.end(), a) != addresses.end())
            continue;
        int err =
            sock_->request(RTM_DELADDR, 0, [&](nlmsghdr* nlh) { buildAddr(nlh, l->index, a); });
        if (err < 0 && err != -EADDRNOTAVAIL)
            res.errors.push_back("delete address " + a.str() + " on " + name + ": " +
                                 errnoText(err));
        else
            ++res.changes;
    }
    return res;
}

ApplyResult LinkEngine::createWireguard(const std::string& name) {
    ApplyResult res;
    int err = sock_->request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, [&](nlmsghdr* nlh) {
        mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
        auto* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
        mnl_attr_nest_end(nlh, info);
    });
    if (err < 0)
        res.errors.push_back("create wireguard link " + name + ": " + errnoText(err));
    else
        res.changes = 1;
    return res;
}

ApplyResult LinkEngine::remove(const std::string& name) {
    ApplyResult res;
    unsigned index = if_nametoindex(name.c_str());
    if (!index)
        return res;
    int err = sock_->request(RTM_DELLINK, 0, [&](nlmsghdr* nlh) {
        auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
        ifi->ifi_index = int(index);
    });
    if (err < 0 && err != -ENODEV)
        res.errors.push_back("delete link " + name + ": " + errnoText(err));
    else
        res.changes = 1;
    return res;
}

}  // namespace weft::kernel
