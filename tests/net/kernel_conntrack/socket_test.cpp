// The table's netlink socket: opened on first use, reused, close-on-exec; failures surface
// as std::runtime_error with a message that says what failed.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "ct_cli.hpp"
#include "kernel/conntrack/conntrack_table.hpp"
#include "kernel/conntrack/ct_socket.hpp"

using namespace weft;
using namespace weft::test;

namespace {

// The process's socket file descriptors.
std::vector<int> socketFds() {
    std::vector<int> fds;
    DIR* dir = opendir("/proc/self/fd");
    if (!dir)
        return fds;
    while (dirent* e = readdir(dir)) {
        char target[64] = {};
        std::string path = std::string("/proc/self/fd/") + e->d_name;
        if (readlink(path.c_str(), target, sizeof target - 1) > 0 &&
            std::string(target).rfind("socket:", 0) == 0)
            fds.push_back(std::atoi(e->d_name));
    }
    closedir(dir);
    return fds;
}

TEST(ConntrackSocket, OpenedLazilyReusedAndCloseOnExec) {
    size_t before = socketFds().size();
    {
        kernel::ConntrackTable table;
        EXPECT_EQ(socketFds().size(), before) << "opened before first use";
        table.countByMark(0xff, std::nullopt);
        ASSERT_EQ(socketFds().size(), before + 1);
        table.deleteFlows(FlowFilter{});
        table.countByMark(0xff, Family::V6);
        EXPECT_EQ(socketFds().size(), before + 1) << "not reused";
        for (int fd : socketFds())
            EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC) << "fd " << fd << " lacks CLOEXEC";
    }
    EXPECT_EQ(socketFds().size(), before) << "leaked";
}

// Flows that ended between the dump and the deletion: ENOENT is neither counted nor an
// error. A deletion names the flow's id too, so a different flow on the same tuple is spared.
TEST(ConntrackSocket, FlowsThatEndedMeanwhileAreNotCounted) {
    using kernel::conntrack::CtPtr;
    const std::string x = "-s 10.7.0.1 -d 10.7.0.2 -p udp --sport 7 --dport 7";
    const std::string y = "-s 10.7.0.1 -d 10.7.0.3 -p udp --sport 7 --dport 7";
    flushFlows();
    insertFlows(std::vector<std::string>{x + " -t 300", y + " -t 300"});
    kernel::conntrack::CtSocket socket;
    std::vector<CtPtr> flows;
    socket.dump({}, [&](CtPtr flow) { flows.push_back(std::move(flow)); });
    ASSERT_EQ(flows.size(), 2u);

    ASSERT_EQ(sh("conntrack -D " + x).status, 0);  // x ends
    // y as a dump would show a new flow on its tuple: another id.
    for (auto& f : flows)
        if (nfct_get_attr_u32(f.get(), ATTR_ORIG_IPV4_DST) == htonl(0x0a070003))
            nfct_set_attr_u32(f.get(), ATTR_ID, nfct_get_attr_u32(f.get(), ATTR_ID) + 1);
    EXPECT_EQ(socket.destroy(flows), 0u);
    EXPECT_EQ(flowKeys(), std::multiset<std::string>{"udp 10.7.0.1 10.7.0.3 7"});

    flows.clear();
    socket.dump({}, [&](CtPtr flow) { flows.push_back(std::move(flow)); });
    EXPECT_EQ(socket.destroy(flows), 1u);
    EXPECT_EQ(countFlows(), 0u);
}

// Without CAP_NET_ADMIN the kernel refuses the dump: both calls throw and say why.
TEST(ConntrackSocketDeathTest, RefusalThrowsAClearError) {
    EXPECT_EXIT(
        {
            if (setuid(65534) != 0)
                std::_Exit(2);
            kernel::ConntrackTable table;
            int caught = 0;
            try {
                table.countByMark(0xff, std::nullopt);
            } catch (const std::runtime_error& e) {
                std::fprintf(stderr, "%s\n", e.what());
                ++caught;
            }
            try {
                table.deleteFlows(FlowFilter{});
            } catch (const std::runtime_error& e) {
                std::fprintf(stderr, "%s\n", e.what());
                ++caught;
            }
            std::_Exit(caught == 2 ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "conntrack: dumping the table: Operation not permitted");
}

}  // namespace
