// DNS probe: one type-A query over UDP, built by libresolv. Any response with our id
// counts, whatever its rcode (NXDOMAIN, REFUSED: the server answered). The socket is connected,
// so an ICMP port unreachable comes back as ECONNREFUSED.
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "probe/probe_socket.hpp"
#include "probe/probe_task.hpp"

namespace weft::probe {

namespace {

constexpr uint16_t kDnsPort = 53;

class DnsQuery : public Task {
  public:
    DnsQuery(EventLoop& loop, const ProbeRequest& request, Report report)
        : Task(std::move(report)) {
        std::array<uint8_t, NS_PACKETSZ> query;
        int length = res_mkquery(ns_o_query, request.dnsName.c_str(), ns_c_in, ns_t_a, nullptr, 0,
                                 nullptr, query.data(), int(query.size()));
        if (length < NS_HFIXEDSZ)
            throw std::runtime_error("invalid DNS name \"" + request.dnsName + "\"");
        id_ = ns_get16(query.data());
        fd_ = openProbeSocket(request, SOCK_DGRAM, IPPROTO_UDP);
        SockAddr to = sockAddr(request, request.port ? request.port : kDnsPort);
        if (::connect(fd_.get(), to.get(), to.length) != 0)
            throwErrno("connect");
        sent_ = Clock::now();
        if (::send(fd_.get(), query.data(), size_t(length), 0) < 0)
            throwErrno("send");
        watch_.emplace(loop, loop.addReadable(fd_.get(), [this] { onReadable(); }));
    }

  private:
    void onReadable() {
        if (finished())
            return;
        // The header is all we look at; a longer response is cut short, which is fine.
        std::array<uint8_t, NS_PACKETSZ> response;
        for (;;) {
            ssize_t n = ::recv(fd_.get(), response.data(), response.size(), 0);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN)
                    finish({ProbeResult::Status::Error, {}, errnoText(errno)});
                return;
            }
            if (isOurResponse(response.data(), size_t(n)))
                return finish({ProbeResult::Status::Ok, since(sent_), {}});
        }
    }

    // Our id and the response bit; the rest may be cut off by the buffer.
    bool isOurResponse(const uint8_t* data, size_t size) const {
        HEADER header;
        if (size < sizeof header)
            return false;
        std::memcpy(&header, data, sizeof header);
        return ntohs(header.id) == id_ && header.qr == 1;
    }

    uint16_t id_ = 0;
    Fd fd_;
    Clock::time_point sent_;
    std::optional<LoopWatch> watch_;  // last: stops before the socket closes
};

}  // namespace

std::unique_ptr<Task> startDnsQuery(EventLoop& loop, const ProbeRequest& request, Report report) {
    return std::make_unique<DnsQuery>(loop, request, std::move(report));
}

}  // namespace weft::probe
