#include "link_engine.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include <algorithm>
#include <map>
#include <new>

#include "nl_addr.hpp"
#include "nl_socket.hpp"

namespace weft::kernel {

using namespace rtnl;

namespace {

struct CacheFree {
    void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using CachePtr = std::unique_ptr<nl_cache, CacheFree>;
struct LinkPut {
    void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
struct AddrPut {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
using AddrPtr = std::unique_ptr<rtnl_addr, AddrPut>;

bool linkLocal(const InterfaceAddress& a) {
    return a.address.family == Family::V6 && a.address.bytes[0] == 0xfe &&
           (a.address.bytes[1] & 0xc0) == 0x80;
}

// One read of links and addresses through libnl-route's caches.
struct Snapshot {
    CachePtr links, addrs;
    std::string error;

    explicit Snapshot(NlSocket& s) {
        nl_cache *l = nullptr, *a = nullptr;
        int err = rtnl_link_alloc_cache(s.raw(), AF_UNSPEC, &l);
        links.reset(l);
        if (err >= 0) {
            err = rtnl_addr_alloc_cache(s.raw(), &a);
            addrs.reset(a);
        }
        if (err < 0)
            error = std::string("read links: ") + nl_geterror(err);
    }

    // The addresses of link `index`, with the kernel's objects (for exact deletes).
    std::vector<std::pair<InterfaceAddress, rtnl_addr*>> addresses(int index) const {
        std::vector<std::pair<InterfaceAddress, rtnl_addr*>> out;
        for (nl_object* o = nl_cache_get_first(addrs.get()); o; o = nl_cache_get_next(o)) {
            auto* a = reinterpret_cast<rtnl_addr*>(o);
            auto local = fromNl(rtnl_addr_get_local(a));
            if (rtnl_addr_get_ifindex(a) == index && local)
                out.push_back({{*local, uint8_t(rtnl_addr_get_prefixlen(a))}, a});
        }
        return out;
    }

    LinkInfo info(rtnl_link* l) const {
        LinkInfo i;
        i.index = rtnl_link_get_ifindex(l);
        i.name = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
        i.up = rtnl_link_get_flags(l) & IFF_UP;
        i.mtu = rtnl_link_get_mtu(l);
        for (auto& [a, obj] : addresses(i.index))
            i.addresses.push_back(a);
        std::sort(i.addresses.begin(), i.addresses.end());
        return i;
    }
};

NlMsgPtr addAddressMsg(int index, const InterfaceAddress& a) {
    AddrPtr obj(rtnl_addr_alloc());
    if (!obj)
        throw std::bad_alloc();
    rtnl_addr_set_ifindex(obj.get(), index);
    rtnl_addr_set_family(obj.get(), afOf(a.address.family));
    rtnl_addr_set_local(obj.get(), toNl(a.address, a.prefixLength).get());
    rtnl_addr_set_prefixlen(obj.get(), a.prefixLength);
    // A tunnel address needs no duplicate detection, and must be usable at once.
    if (a.address.family == Family::V6)
        rtnl_addr_set_flags(obj.get(), IFA_F_NODAD);
    nl_msg* msg = nullptr;
    if (rtnl_addr_build_add_request(obj.get(), NLM_F_REPLACE, &msg) < 0 || !msg)
        throw std::bad_alloc();
    return NlMsgPtr(msg);
}

NlMsgPtr deleteAddressMsg(rtnl_addr* kernelObj) {
    nl_msg* msg = nullptr;
    if (rtnl_addr_build_delete_request(kernelObj, 0, &msg) < 0 || !msg)
        throw std::bad_alloc();
    return NlMsgPtr(msg);
}

void count(const NlStatus& st, const std::string& what, ApplyResult& res) {
    if (st.ok())
        ++res.changes;
    else
        res.errors.push_back(what + ": " + st.str());
}

}  // namespace

LinkEngine::LinkEngine() : sock_(std::make_unique<NlSocket>()) {}
LinkEngine::~LinkEngine() = default;

uint32_t LinkEngine::portId() const {
    return sock_->portId();
}

std::vector<LinkInfo> LinkEngine::links() {
    Snapshot snap(*sock_);
    std::vector<LinkInfo> out;
    if (!snap.error.empty())
        return out;
    for (nl_object* o = nl_cache_get_first(snap.links.get()); o; o = nl_cache_get_next(o))
        out.push_back(snap.info(reinterpret_cast<rtnl_link*>(o)));
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.index < b.index; });
    return out;
}

std::optional<LinkInfo> LinkEngine::link(const std::string& name) {
    Snapshot snap(*sock_);
    if (!snap.error.empty())
        return std::nullopt;
    LinkPtr l(rtnl_link_get_by_name(snap.links.get(), name.c_str()));
    if (!l)
        return std::nullopt;
    return snap.info(l.get());
}

namespace {

void setUpAndMtu(NlSocket& s, rtnl_link* orig, const std::string& name, unsigned mtu,
                 ApplyResult& res) {
    bool up = rtnl_link_get_flags(orig) & IFF_UP;
    if (up && (mtu == 0 || rtnl_link_get_mtu(orig) == mtu))
        return;
    LinkPtr change(rtnl_link_alloc());
    if (!change)
        throw std::bad_alloc();
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (mtu)
        rtnl_link_set_mtu(change.get(), mtu);
    nl_msg* raw = nullptr;
    if (int err = rtnl_link_build_change_request(orig, change.get(), 0, &raw); err < 0) {
        res.errors.push_back("set link " + name + " up: " + nl_geterror(err));
        return;
    }
    NlMsgPtr msg(raw);
    std::string what = "set link " + name + " up";
    if (mtu)
        what += ", mtu " + std::to_string(mtu);
    count(s.request(msg.get()), what, res);
}

// Deletes the kernel's addresses that `drop` selects (never a link-local one).
template <typename Pred>
void deleteAddresses(NlSocket& s, const Snapshot& snap, int index, const std::string& name,
                     Pred drop, ApplyResult& res) {
    for (auto& [a, obj] : snap.addresses(index)) {
        if (linkLocal(a) || !drop(a))
            continue;
        NlStatus st = s.request(deleteAddressMsg(obj).get());
        if (st.error != EADDRNOTAVAIL)  // already gone with its primary
            count(st, "delete address " + a.str() + " on " + name, res);
    }
}

void addMissing(NlSocket& s, const Snapshot& snap, int index, const std::string& name,
                const std::vector<InterfaceAddress>& want, ApplyResult& res) {
    auto have = snap.addresses(index);
    for (auto& a : want) {
        bool present = std::any_of(have.begin(), have.end(), [&](auto& h) { return h.first == a; });
        if (!present)
            count(s.request(addAddressMsg(index, a).get()), "address " + a.str() + " on " + name,
                  res);
    }
}

}  // namespace

ApplyResult LinkEngine::configure(const std::string& name, unsigned mtu,
                                  const std::vector<InterfaceAddress>& want) {
    ApplyResult res;
    Snapshot snap(*sock_);
    if (!snap.error.empty()) {
        res.errors.push_back(snap.error);
        return res;
    }
    LinkPtr l(rtnl_link_get_by_name(snap.links.get(), name.c_str()));
    if (!l) {
        res.errors.push_back("link " + name + " does not exist");
        return res;
    }
    setUpAndMtu(*sock_, l.get(), name, mtu, res);
    int index = rtnl_link_get_ifindex(l.get());
    auto wanted = [&](const InterfaceAddress& a) {
        return std::find(want.begin(), want.end(), a) != want.end();
    };
    // IPv6 holds an address once whatever its prefix length: a new length needs the old gone.
    deleteAddresses(
        *sock_, snap, index, name,
        [&](const InterfaceAddress& a) {
            return a.address.family == Family::V6 && !wanted(a) &&
                   std::any_of(want.begin(), want.end(),
                               [&](auto& w) { return w.address == a.address; });
        },
        res);
    addMissing(*sock_, snap, index, name, want, res);
    unsigned before = res.changes;
    deleteAddresses(
        *sock_, snap, index, name, [&](auto& a) { return !wanted(a); }, res);
    if (res.changes > before) {
        // Deleting a primary IPv4 address takes its secondaries along: put back what we want.
        Snapshot after(*sock_);
        if (after.error.empty())
            addMissing(*sock_, after, index, name, want, res);
    }
    return res;
}

ApplyResult LinkEngine::createWireguard(const std::string& name) {
    ApplyResult res;
    LinkPtr l(rtnl_link_alloc());
    if (!l)
        throw std::bad_alloc();
    rtnl_link_set_name(l.get(), name.c_str());
    rtnl_link_set_type(l.get(), "wireguard");
    nl_msg* raw = nullptr;
    if (int err = rtnl_link_build_add_request(l.get(), NLM_F_CREATE | NLM_F_EXCL, &raw); err < 0) {
        res.errors.push_back("create wireguard link " + name + ": " + nl_geterror(err));
        return res;
    }
    NlMsgPtr msg(raw);
    NlStatus st = sock_->request(msg.get());
    if (st.error == EOPNOTSUPP) {
        res.errors.push_back("create wireguard link " + name +
                             ": the kernel has no WireGuard support (module \"wireguard\" not "
                             "available; use the userspace back end): " +
                             st.str());
    } else {
        count(st, "create wireguard link " + name, res);
    }
    return res;
}

ApplyResult LinkEngine::remove(const std::string& name) {
    ApplyResult res;
    LinkPtr l(rtnl_link_alloc());
    if (!l)
        throw std::bad_alloc();
    rtnl_link_set_name(l.get(), name.c_str());
    nl_msg* raw = nullptr;
    if (int err = rtnl_link_build_delete_request(l.get(), &raw); err < 0) {
        res.errors.push_back("delete link " + name + ": " + nl_geterror(err));
        return res;
    }
    NlMsgPtr msg(raw);
    NlStatus st = sock_->request(msg.get());
    if (st.error != ENODEV)
        count(st, "delete link " + name, res);
    return res;
}

}  // namespace weft::kernel
