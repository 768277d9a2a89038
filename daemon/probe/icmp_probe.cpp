// ICMP echo probe: one raw socket per probe (weftd runs as root; ping sockets would need
// net.ipv4.ping_group_range). A raw socket sees every echo reply the host gets, so replies are
// matched by identifier, sequence and sender; an ICMP error about our request ends it early.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "probe/icmp_codec.hpp"
#include "probe/probe_socket.hpp"
#include "probe/probe_task.hpp"

namespace weft::probe {

namespace {

class IcmpEcho : public Task {
  public:
    IcmpEcho(EventLoop& loop, const ProbeRequest& request, EchoIds ids, Report report)
        : Task(std::move(report)), target_(request.target), ids_(ids) {
        bool v4 = target_.family == Family::V4;
        fd_ = openProbeSocket(request, SOCK_RAW, v4 ? int(IPPROTO_ICMP) : int(IPPROTO_ICMPV6));
        v4 ? filterIcmpV4(fd_.get()) : filterIcmpV6(fd_.get());
        auto packet = v4 ? echoRequestV4(ids) : echoRequestV6(ids);
        SockAddr to = sockAddr(request, 0);
        sent_ = Clock::now();
        if (::sendto(fd_.get(), packet.data(), packet.size(), 0, to.get(), to.length) < 0)
            throwErrno("send");
        watch_.emplace(loop, loop.addReadable(fd_.get(), [this] { onReadable(); }));
    }

  private:
    void onReadable() {
        if (finished())
            return;
        std::array<uint8_t, 1500> buffer;
        for (;;) {
            sockaddr_storage from{};
            socklen_t fromLength = sizeof from;
            ssize_t n = ::recvfrom(fd_.get(), buffer.data(), buffer.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &fromLength);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN)
                    finish({ProbeResult::Status::Error, {}, "receive: " + errnoText(errno)});
                return;
            }
            auto sender = addressOf(from);
            if (!sender)
                continue;
            std::span<const uint8_t> packet(buffer.data(), size_t(n));
            IcmpAnswer answer = target_.family == Family::V4
                                    ? classifyIcmpV4(packet, *sender, target_, ids_)
                                    : classifyIcmpV6(packet, *sender, target_, ids_);
            if (answer.kind == IcmpAnswer::Kind::EchoReply)
                return finish({ProbeResult::Status::Ok, since(sent_), {}});
            if (answer.kind == IcmpAnswer::Kind::Error)
                return finish({ProbeResult::Status::Error, {}, answer.error});
        }
    }

    Address target_;
    EchoIds ids_;
    Fd fd_;
    Clock::time_point sent_;
    std::optional<LoopWatch> watch_;  // last: stops before the socket closes
};

}  // namespace

std::unique_ptr<Task> startIcmpEcho(EventLoop& loop, const ProbeRequest& request, uint16_t ident,
                                    uint16_t sequence, Report report) {
    return std::make_unique<IcmpEcho>(loop, request, EchoIds{ident, sequence}, std::move(report));
}

}  // namespace weft::probe
