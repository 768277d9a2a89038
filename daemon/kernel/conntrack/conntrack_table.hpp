// The kernel's conntrack table of weftd's network namespace, through libnetfilter-conntrack
// (ctnetlink): deleting the flows a filter names, and counting flows by ct mark.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "weft/flows.hpp"

namespace weft::kernel {

class ConntrackTable {
  public:
    ConntrackTable();  ///< opens nothing yet: the socket is opened on first use
    ~ConntrackTable();
    ConntrackTable(const ConntrackTable&) = delete;
    ConntrackTable& operator=(const ConntrackTable&) = delete;

    /// Deletes every flow matching `filter`; returns how many the kernel deleted (a flow that
    /// ended meanwhile is not counted). Throws std::runtime_error on a netlink failure.
    uint64_t deleteFlows(const FlowFilter& filter);
    /// Deletes the flows matching `filter` for which `doomed` is true (one dump).
    uint64_t deleteFlowsIf(const FlowFilter& filter,
                           const std::function<bool(const FlowTuple&)>& doomed);
    /// Flows grouped by `ct mark & mask` (of `family` when set). Throws std::runtime_error.
    std::map<uint32_t, uint64_t> countByMark(uint32_t mask, std::optional<Family> family);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace weft::kernel
