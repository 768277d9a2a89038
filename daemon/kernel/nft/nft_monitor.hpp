// Watches nf_tables notifications for changes to weft's tables made by someone else.
#pragma once

#include <set>
#include <string>
#include <vector>

struct mnl_socket;

namespace weft::kernel {

class NftMonitor {
  public:
    /// Changes made through the socket `ignorePortId` (weftd's own engine) are not reported.
    explicit NftMonitor(uint32_t ignorePortId);
    ~NftMonitor();
    NftMonitor(const NftMonitor&) = delete;
    NftMonitor& operator=(const NftMonitor&) = delete;

    int fd() const;
    /// Reads every pending event; returns the weft tables someone else changed or deleted.
    std::vector<std::string> drain();

  private:
    void refreshKnown();
    mnl_socket* nl_ = nullptr;
    uint32_t ignore_;
    std::set<std::string> weftTables_;
};

}  // namespace weft::kernel
