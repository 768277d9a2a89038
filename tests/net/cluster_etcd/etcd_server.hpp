// A real etcd for the cluster client's tests: TLS certificates made with the openssl CLI, a
// private data dir, random free loopback ports; killed and removed however the test ends.
#pragma once

#include <sys/types.h>

#include <string>

namespace weft::test {

/// Certificates for one test: a CA, a server certificate for 127.0.0.1, a client certificate,
/// and an unrelated CA (for the wrong-CA case).
struct TestPki {
    std::string dir;
    std::string ca() const { return dir + "/ca.crt"; }
    std::string otherCa() const { return dir + "/other-ca.crt"; }
    std::string serverCert() const { return dir + "/server.crt"; }
    std::string serverKey() const { return dir + "/server.key"; }
    std::string clientCert() const { return dir + "/client.crt"; }
    std::string clientKey() const { return dir + "/client.key"; }
    /// Makes them in `dir` (which must exist); throws with openssl's output on failure.
    static TestPki make(const std::string& dir);
};

/// A free TCP port on 127.0.0.1 (bound, read, released).
int freePort();

/// One etcd member with mutual TLS on 127.0.0.1.
class EtcdServer {
  public:
    EtcdServer(const std::string& workDir, const TestPki& pki);
    ~EtcdServer();  // kills etcd (SIGKILL); the work dir is the fixture's to remove
    EtcdServer(const EtcdServer&) = delete;
    EtcdServer& operator=(const EtcdServer&) = delete;

    /// Starts etcd (same data dir and ports every time) and waits until it answers.
    void start();
    void kill();    ///< SIGKILL and reap
    void pause();   ///< SIGSTOP: connects still succeed (the kernel accepts), nothing answers
    void resume();  ///< SIGCONT
    bool running() const { return pid_ > 0; }

    std::string endpoint() const;
    /// Runs etcdctl against this member; returns its output, throws when it fails.
    std::string ctl(const std::string& args) const;
    /// The store's current revision (read with etcdctl).
    long long revision() const;

  private:
    std::string dir_;
    TestPki pki_;
    int clientPort_, peerPort_;
    pid_t pid_ = -1;
};

}  // namespace weft::test
