// The rtnetlink engine tests never touch the host's network: the process leaves it before the
// first test, and every test then moves into a fresh namespace of its own (NetnsTest).
#include <gtest/gtest.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (unshare(CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "unshare(CLONE_NEWNET): %s (these tests need root)\n",
                     std::strerror(errno));
        return 1;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
