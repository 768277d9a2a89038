// The probe tests run in a network namespace of their own (plus a peer namespace they make):
// both start empty and disappear with the test process, whatever the tests leave behind.
#include <gtest/gtest.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    if (unshare(CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "unshare(CLONE_NEWNET): %s (these tests need root)\n",
                     std::strerror(errno));
        return 1;
    }
    if (std::system("ip link set lo up") != 0) {
        std::fprintf(stderr, "cannot bring up lo in the test namespace\n");
        return 1;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
