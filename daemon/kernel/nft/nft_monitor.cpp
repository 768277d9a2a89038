#include "nft_monitor.hpp"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>
#include <memory>
#include <system_error>

#include "nft_read.hpp"

namespace weft::kernel {

NftMonitor::NftMonitor(uint32_t ignorePortId) : ignore_(ignorePortId) {
    nl_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl_)
        throw std::system_error(errno, std::generic_category(), "nft monitor socket");
    if (mnl_socket_bind(nl_, 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(nl_);
        throw std::system_error(e, std::generic_category(), "nft monitor bind");
    }
    int size = 8 * 1024 * 1024;
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    fcntl(mnl_socket_get_fd(nl_), F_SETFL, O_NONBLOCK);
    refreshKnown();
}

NftMonitor::~NftMonitor() {
    mnl_socket_close(nl_);
}

int NftMonitor::fd() const {
    return mnl_socket_get_fd(nl_);
}

void NftMonitor::refreshKnown() {
    nft::NftSocket sock;
    weftTables_.clear();
    for (auto& h : nft::readTables(sock)) {
        if (h.comment.rfind("weft:", 0) == 0)
            weftTables_.insert(h.name);
    }
}

// The table an nf_tables event is about.
static std::string tableOf(const nlmsghdr* nlh, std::string& comment) {
    uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
    std::string name;
    auto get = [&](auto alloc, auto freer, auto parse, auto getstr, int attr) {
        std::unique_ptr<std::remove_pointer_t<decltype(alloc())>, decltype(freer)> o(alloc(),
                                                                                     freer);
        if (parse(nlh, o.get()) >= 0) {
            const char* s = getstr(o.get(), uint16_t(attr));
            if (s)
                name = s;
        }
    };
    switch (type) {
        case NFT_MSG_NEWTABLE:
        case NFT_MSG_DELTABLE: {
            std::unique_ptr<nftnl_table, void (*)(const nftnl_table*)> t(nftnl_table_alloc(),
                                                                         nftnl_table_free);
            if (nftnl_table_nlmsg_parse(nlh, t.get()) >= 0) {
                name = nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME);
                comment = nftnl_table_is_set(t.get(), NFTNL_TABLE_USERDATA) ? "userdata" : "";
            }
            break;
        }
        case NFT_MSG_NEWCHAIN:
        case NFT_MSG_DELCHAIN:
            get(nftnl_chain_alloc, nftnl_chain_free, nftnl_chain_nlmsg_parse, nftnl_chain_get_str,
                NFTNL_CHAIN_TABLE);
            break;
        case NFT_MSG_NEWRULE:
        case NFT_MSG_DELRULE:
            get(nftnl_rule_alloc, nftnl_rule_free, nftnl_rule_nlmsg_parse, nftnl_rule_get_str,
                NFTNL_RULE_TABLE);
            break;
        case NFT_MSG_NEWSET:
        case NFT_MSG_DELSET:
            get(nftnl_set_alloc, nftnl_set_free, nftnl_set_nlmsg_parse, nftnl_set_get_str,
                NFTNL_SET_TABLE);
            break;
        case NFT_MSG_NEWSETELEM:
        case NFT_MSG_DELSETELEM:
            get(nftnl_set_alloc, nftnl_set_free, nftnl_set_elems_nlmsg_parse, nftnl_set_get_str,
                NFTNL_SET_TABLE);
            break;
        default:
            break;
    }
    return name;
}

std::vector<std::string> NftMonitor::drain() {
    std::set<std::string> touched;
    bool tablesChanged = false;
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
    while (true) {
        ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
        if (n < 0) {
            if (errno == ENOBUFS) {  // overrun: we lost events, assume everything changed
                touched.insert(weftTables_.begin(), weftTables_.end());
                continue;
            }
            break;  // EAGAIN: drained
        }
        auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
        int len = int(n);
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            std::string comment;
            std::string table = tableOf(nlh, comment);
            uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
            if (type == NFT_MSG_NEWTABLE || type == NFT_MSG_DELTABLE)
                tablesChanged = true;
            if (nlh->nlmsg_pid == ignore_ || table.empty())
                continue;
            if (weftTables_.count(table))
                touched.insert(table);
        }
    }
    if (tablesChanged) {
        // Learn tables weftd created (and forget deleted ones) without losing the ones
        // someone else just deleted, which still need repair.
        auto before = weftTables_;
        refreshKnown();
        weftTables_.insert(before.begin(), before.end());
    }
    return {touched.begin(), touched.end()};
}

}  // namespace weft::kernel
