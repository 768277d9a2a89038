#include "etcd_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../shell_cmd.hpp"
#include "weft/json.hpp"

namespace weft::test {

static void run(const std::string& cmd) {
    CmdResult r = sh(cmd);
    if (r.status != 0)
        throw std::runtime_error(cmd + " failed: " + r.out);
}

TestPki TestPki::make(const std::string& dir) {
    TestPki p{dir};
    std::ofstream(dir + "/server.ext") << "subjectAltName=IP:127.0.0.1\n"
                                          "extendedKeyUsage=serverAuth,clientAuth\n";
    std::ofstream(dir + "/client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string d = dir + "/";
    for (const char* ca : {"ca", "other-ca"})
        run("openssl req -x509 " + ec + " -days 1 -subj /CN=weft-test-" + ca + " -keyout " + d +
            ca + ".key -out " + d + ca + ".crt");
    for (const char* leaf : {"server", "client"}) {
        run("openssl req " + ec + " -subj /CN=weft-test-" + leaf + " -keyout " + d + leaf +
            ".key -out " + d + leaf + ".csr");
        run("openssl x509 -req -days 1 -in " + d + leaf + ".csr -CA " + d + "ca.crt -CAkey " + d +
            "ca.key -CAcreateserial -extfile " + d + leaf + ".ext -out " + d + leaf + ".crt");
    }
    return p;
}

int freePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("cannot find a free port");
    close(fd);
    return ntohs(a.sin_port);
}

EtcdServer::EtcdServer(const std::string& workDir, const TestPki& pki)
    : dir_(workDir), pki_(pki), clientPort_(freePort()), peerPort_(freePort()) {
    while (peerPort_ == clientPort_)
        peerPort_ = freePort();
}

EtcdServer::~EtcdServer() {
    if (running()) {
        resume();  // a stopped process still dies of SIGKILL, but be plain about it
        kill();
    }
}

std::string EtcdServer::endpoint() const {
    return "https://127.0.0.1:" + std::to_string(clientPort_);
}

void EtcdServer::start() {
    std::string peer = "http://127.0.0.1:" + std::to_string(peerPort_);
    std::vector<std::string> args = {"/usr/bin/etcd",
                                     "--name=t",
                                     "--data-dir=" + dir_ + "/data",
                                     "--listen-client-urls=" + endpoint(),
                                     "--advertise-client-urls=" + endpoint(),
                                     "--listen-peer-urls=" + peer,
                                     "--initial-advertise-peer-urls=" + peer,
                                     "--initial-cluster=t=" + peer,
                                     "--cert-file=" + pki_.serverCert(),
                                     "--key-file=" + pki_.serverKey(),
                                     "--trusted-ca-file=" + pki_.ca(),
                                     "--client-cert-auth",
                                     "--logger=zap",
                                     "--log-outputs=stderr"};
    std::string log = dir_ + "/etcd.log";
    pid_ = fork();
    if (pid_ < 0)
        throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            ctl("endpoint health");
            return;
        } catch (const std::exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    throw std::runtime_error("etcd did not come up; log: " + sh("tail -20 " + log).out);
}

void EtcdServer::kill() {
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void EtcdServer::pause() {
    ::kill(pid_, SIGSTOP);
}

void EtcdServer::resume() {
    ::kill(pid_, SIGCONT);
}

std::string EtcdServer::ctl(const std::string& args) const {
    CmdResult r = sh("ETCDCTL_API=3 etcdctl --dial-timeout=1s --command-timeout=2s --endpoints=" +
                     endpoint() + " --cacert=" + pki_.ca() + " --cert=" + pki_.clientCert() +
                     " --key=" + pki_.clientKey() + " " + args);
    if (r.status != 0)
        throw std::runtime_error("etcdctl " + args + ": " + r.out);
    return r.out;
}

long long EtcdServer::revision() const {
    Json j = Json::parse(ctl("get / -w json"));
    return j.at("header").at("revision").get<long long>();
}

}  // namespace weft::test
