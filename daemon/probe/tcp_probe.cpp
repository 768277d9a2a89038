// TCP connect probe: a non-blocking connect; the handshake's end makes the socket writable and
// SO_ERROR says how it went (a reset reads as ECONNREFUSED).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

#include "probe/probe_socket.hpp"
#include "probe/probe_task.hpp"

namespace weft::probe {

namespace {

class TcpConnect : public Task {
  public:
    TcpConnect(EventLoop& loop, const ProbeRequest& request, Report report)
        : Task(std::move(report)) {
        if (request.port == 0)
            throw std::runtime_error("TCP probe without a port");
        fd_ = openProbeSocket(request, SOCK_STREAM, IPPROTO_TCP);
        SockAddr to = sockAddr(request, request.port);
        sent_ = Clock::now();
        if (::connect(fd_.get(), to.get(), to.length) != 0 && errno != EINPROGRESS)
            throwErrno("connect");
        // Even a connect that ended at once is reported from the loop, once writable.
        watch_.emplace(loop, loop.addWritable(fd_.get(), [this] { onWritable(); }));
    }

  private:
    void onWritable() {
        if (finished())
            return;
        int error = 0;
        socklen_t length = sizeof error;
        if (getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0)
            error = errno;
        if (error != 0)
            return finish({ProbeResult::Status::Error, {}, errnoText(error)});
        // Close with a reset, not a FIN: frequent probes would leave a TIME_WAIT socket each.
        linger abort{1, 0};
        setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        finish({ProbeResult::Status::Ok, since(sent_), {}});
    }

    Fd fd_;
    Clock::time_point sent_;
    std::optional<LoopWatch> watch_;  // last: stops before the socket closes
};

}  // namespace

std::unique_ptr<Task> startTcpConnect(EventLoop& loop, const ProbeRequest& request, Report report) {
    return std::make_unique<TcpConnect>(loop, request, std::move(report));
}

}  // namespace weft::probe
