// main() of the kernel tests (kernel_nft, kernel_conntrack, kernel_nflog, probe): each runs in
// a network namespace of its own, with lo up, that starts empty and disappears with the test
// process whatever the tests leave behind (namespaces a test makes for peers are its own).
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
