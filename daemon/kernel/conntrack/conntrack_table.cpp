#include "kernel/conntrack/conntrack_table.hpp"

#include <mutex>
#include <vector>

#include "kernel/conntrack/ct_socket.hpp"
#include "kernel/conntrack/flow_match.hpp"

namespace weft::kernel {

using conntrack::CtPtr;
using conntrack::CtSocket;

struct ConntrackTable::Impl {
    std::mutex mutex;  // plugins may call from threads of their own
    std::unique_ptr<CtSocket> socket;

    // Runs `work` on the socket, opening it on first use. A failure may leave answers
    // unread in the socket, so it is dropped and the next call opens a fresh one.
    template <typename Work>
    auto withSocket(Work&& work) {
        std::lock_guard lock(mutex);
        if (!socket)
            socket = std::make_unique<CtSocket>();
        try {
            return work(*socket);
        } catch (...) {
            socket.reset();
            throw;
        }
    }
};

ConntrackTable::ConntrackTable() : impl_(std::make_unique<Impl>()) {}

ConntrackTable::~ConntrackTable() = default;

uint64_t ConntrackTable::deleteFlows(const FlowFilter& filter) {
    return deleteFlowsIf(filter, [](const FlowTuple&) { return true; });
}

uint64_t ConntrackTable::deleteFlowsIf(const FlowFilter& filter,
                                       const std::function<bool(const FlowTuple&)>& doomedIf) {
    return impl_->withSocket([&](CtSocket& socket) {
        // The whole dump is read before deleting: the kernel's dump walks the table while
        // it is being changed otherwise, and one socket cannot interleave the two.
        std::vector<CtPtr> doomed;
        socket.dump(conntrack::dumpFilterFor(filter), [&](CtPtr flow) {
            if (conntrack::flowMatches(filter, flow.get()) &&
                doomedIf(conntrack::flowTuple(flow.get())))
                doomed.push_back(std::move(flow));
        });
        return doomed.empty() ? uint64_t(0) : socket.destroy(doomed);
    });
}

std::map<uint32_t, uint64_t> ConntrackTable::countByMark(uint32_t mask,
                                                         std::optional<Family> family) {
    return impl_->withSocket([&](CtSocket& socket) {
        conntrack::DumpFilter dumpFilter;
        if (family)
            dumpFilter.family = conntrack::addressFamily(*family);
        std::map<uint32_t, uint64_t> counts;
        socket.dump(dumpFilter,
                    [&](CtPtr flow) { ++counts[conntrack::flowMark(flow.get()) & mask]; });
        return counts;
    });
}

}  // namespace weft::kernel
