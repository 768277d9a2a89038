#include "rtnl_testlib.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace weft::test {

std::string ip(const std::string& args) {
    auto r = sh("ip " + args);
    EXPECT_EQ(r.status, 0) << "ip " << args << ": " << r.out;
    return r.out;
}

Json ipJson(const std::string& args) {
    auto out = ip("-j " + args);
    return out.empty() ? Json::array() : Json::parse(out);
}

std::vector<Json> ipJsonWhere(const std::string& args, const std::string& key,
                              const std::string& value) {
    std::vector<Json> out;
    for (auto& o : ipJson(args)) {
        if (o.contains(key) && o[key].is_string() && o[key].get<std::string>() == value)
            out.push_back(o);
    }
    return out;
}

Prefix P(const char* text) {
    auto p = Prefix::parse(text);
    EXPECT_TRUE(p) << text;
    return p.value_or(Prefix{});
}

Address A(const char* text) {
    auto a = Address::parse(text);
    EXPECT_TRUE(a) << text;
    return a.value_or(Address{});
}

InterfaceAddress IA(const char* text) {
    auto a = InterfaceAddress::parse(text);
    EXPECT_TRUE(a) << text;
    return a.value_or(InterfaceAddress{});
}

void NetnsTest::SetUp() {
    // A fresh namespace per test: nothing leaks from one test to the next, and the old one
    // disappears with its last reference, whatever a failed test left in it.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    ip("link set lo up");
    for (auto [name, v4, v6] : {std::tuple{"d0", "10.0.0.1/24", "2001:db8::1/64"},
                                std::tuple{"d1", "10.1.0.1/24", "2001:db8:1::1/64"}}) {
        // This kernel has no dummy links: a veth pair, its peer up too so the link has carrier.
        ip(std::string("link add ") + name + " type veth peer name " + name + "p");
        ip(std::string("link set ") + name + "p up");
        ip(std::string("addr add ") + v4 + " dev " + name);
        ip(std::string("addr add ") + v6 + " dev " + name + " nodad");
        ip(std::string("link set ") + name + " up");
    }
}

Recorder::Recorder() {
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    EXPECT_GE(fd_, 0) << std::strerror(errno);
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    for (int g : {RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE})
        EXPECT_EQ(setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g), 0);
}

Recorder::~Recorder() {
    close(fd_);
}

namespace {

Recorder::Event decode(const nlmsghdr* h) {
    Recorder::Event e{h->nlmsg_type, 0, h->nlmsg_flags, 0};
    bool rule = h->nlmsg_type == RTM_NEWRULE || h->nlmsg_type == RTM_DELRULE;
    size_t hdr = rule ? sizeof(fib_rule_hdr) : sizeof(rtmsg);
    if (rule) {
        e.table = static_cast<const fib_rule_hdr*>(NLMSG_DATA(h))->table;
    } else {
        auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
        e.table = rtm->rtm_table;
        e.protocol = rtm->rtm_protocol;
    }
    auto* a =
        reinterpret_cast<const rtattr*>(static_cast<const char*>(NLMSG_DATA(h)) + NLMSG_ALIGN(hdr));
    int len = int(h->nlmsg_len - NLMSG_LENGTH(hdr));
    for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == (rule ? int(FRA_TABLE) : int(RTA_TABLE)))
            e.table = *static_cast<const uint32_t*>(RTA_DATA(a));
        if (rule && a->rta_type == FRA_PROTOCOL)
            e.protocol = *static_cast<const uint8_t*>(RTA_DATA(a));
    }
    return e;
}

}  // namespace

std::vector<Recorder::Event> Recorder::take() {
    std::vector<Event> out;
    char buf[1 << 16];
    ssize_t n;
    while ((n = recv(fd_, buf, sizeof buf, 0)) > 0) {
        // Walked by hand: NLMSG_OK compares signed with unsigned, which clang refuses.
        size_t off = 0, size = size_t(n);
        while (off + sizeof(nlmsghdr) <= size) {
            auto* h = reinterpret_cast<nlmsghdr*>(buf + off);
            if (h->nlmsg_len < sizeof(nlmsghdr) || off + h->nlmsg_len > size)
                break;
            out.push_back(decode(h));
            off += NLMSG_ALIGN(h->nlmsg_len);
        }
    }
    return out;
}

}  // namespace weft::test
