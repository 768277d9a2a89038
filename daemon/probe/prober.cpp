// The Prober: ids, timeouts and the exactly-once delivery of results. The probe kinds live in
// their own files (icmp_probe, tcp_probe, dns_probe) behind probe::Task.
#include "probe/prober.hpp"

#include <random>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "probe/probe_task.hpp"

namespace weft {

using namespace std::chrono_literals;

struct Prober::Impl {
    struct Entry {
        std::unique_ptr<probe::Task> task;  // null once the probe failed to start
        Done done;
        EventLoop::Id timer = 0;  // the timeout, or the deferred start failure
    };

    explicit Impl(EventLoop& l) : loop(l), icmpIdent(uint16_t(std::random_device{}())) {}

    ~Impl() {
        for (auto& [id, entry] : probes)
            loop.cancel(entry.timer);
        probes.clear();
        loop.cancel(sweepTimer);
        finishedTasks.clear();
    }

    Id start(const ProbeRequest& request, Done done) {
        Id id = nextId++;
        Entry& entry = probes[id];
        entry.done = std::move(done);
        try {
            entry.task = startTask(request, id);
            entry.timer = loop.addTimer(request.timeout, false, [this, id] {
                finish(id, {ProbeResult::Status::Timeout, {}, {}});
            });
        } catch (const std::exception& e) {
            // Not from inside start(): the caller may not even know the id yet.
            entry.task.reset();
            std::string error = e.what();
            try {
                entry.timer = loop.addTimer(0ms, false, [this, id, error] {
                    finish(id, {ProbeResult::Status::Error, {}, error});
                });
            } catch (...) {
                probes.erase(id);
                throw;
            }
        }
        return id;
    }

    std::unique_ptr<probe::Task> startTask(const ProbeRequest& request, Id id) {
        probe::Report report = [this, id](ProbeResult r) { finish(id, std::move(r)); };
        switch (request.kind) {
            case ProbeRequest::Kind::IcmpEcho:
                // A fresh identifier per probe, so our own probes never answer for each other.
                return probe::startIcmpEcho(loop, request, icmpIdent++, uint16_t(id),
                                            std::move(report));
            case ProbeRequest::Kind::TcpConnect:
                return probe::startTcpConnect(loop, request, std::move(report));
            case ProbeRequest::Kind::Dns:
                return probe::startDnsQuery(loop, request, std::move(report));
        }
        throw std::runtime_error("unknown probe kind");
    }

    void finish(Id id, ProbeResult result) {
        auto it = probes.find(id);
        if (it == probes.end())
            return;
        Entry entry = std::move(it->second);
        probes.erase(it);
        loop.cancel(entry.timer);
        // The task may be running the callback that got us here: free it on a later turn.
        if (entry.task)
            bury(std::move(entry.task));
        // Last: `done` may start or cancel probes, or even destroy this Prober.
        entry.done(result);
    }

    void bury(std::unique_ptr<probe::Task> task) {
        finishedTasks.push_back(std::move(task));
        if (sweepTimer == 0)
            sweepTimer = loop.addTimer(0ms, false, [this] {
                sweepTimer = 0;
                finishedTasks.clear();
            });
    }

    void cancel(Id id) {
        auto it = probes.find(id);
        if (it == probes.end())
            return;
        loop.cancel(it->second.timer);
        probes.erase(it);  // closes the socket and stops its watch
    }

    EventLoop& loop;
    Id nextId = 1;
    uint16_t icmpIdent;
    std::unordered_map<Id, Entry> probes;
    std::vector<std::unique_ptr<probe::Task>> finishedTasks;
    EventLoop::Id sweepTimer = 0;
};

Prober::Prober(EventLoop& loop) : impl_(std::make_unique<Impl>(loop)) {}

Prober::~Prober() = default;

Prober::Id Prober::start(const ProbeRequest& request, Done done) {
    return impl_->start(request, std::move(done));
}

void Prober::cancel(Id id) {
    impl_->cancel(id);
}

size_t Prober::inFlight() const {
    return impl_->probes.size();
}

}  // namespace weft
