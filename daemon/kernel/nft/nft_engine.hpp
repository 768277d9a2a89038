// Converges weft's nftables tables to their desired state, one transaction per call.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/apply_result.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

namespace nft {
class NftSocket;
struct TableView;
}  // namespace nft

struct RuleCounter {
    std::string table, chain, comment;
    uint64_t packets = 0, bytes = 0;
};

class NftEngine {
  public:
    struct Options {
        /// owner+persist (Linux >= 6.9): nobody else can change weft's tables while weftd runs,
        /// and they survive weftd. Never the owner flag alone (it would drop the tables, and with
        /// them encryption, when weftd dies).
        bool ownerFlag = true;
    };
    NftEngine();
    explicit NftEngine(Options o);
    ~NftEngine();

    /// Converges every table tagged for `owner` to `desired` in ONE transaction: creates
    /// missing tables, deletes owned tables no longer desired, replaces changed chains, and
    /// updates set elements element by element. A failed batch changes nothing; errors name
    /// the object. A no-change call sends nothing.
    ApplyResult apply(const std::string& owner, const std::vector<weft::nft::Table>& desired);
    /// Deletes every table tagged for `owner`.
    ApplyResult removeOwner(const std::string& owner);
    /// Owners of weft-tagged tables in the kernel.
    std::vector<std::string> owners();
    /// Counters of the owner's rules that have a Counter statement.
    std::vector<RuleCounter> counters(const std::string& owner);
    /// Port id of the engine's socket (monitors ignore changes made through it).
    uint32_t portId() const;
    /// Forgets what it believes is in the kernel (all tables, or one), so the next apply reads it.
    void invalidate(const std::string& table = {});
    /// Messages sent by the last apply (tests, benchmarks).
    size_t lastBatchMessages() const;

  private:
    struct Cached;
    std::vector<std::string> ownedTables(const std::string& owner,
                                         std::vector<std::string>& foreign,
                                         const std::vector<weft::nft::Table>& desired);
    const nft::TableView* current(weft::nft::TableFamily family, const std::string& name,
                                  bool exists);

    Options options_;
    std::unique_ptr<nft::NftSocket> sock_;
    std::map<std::string, std::unique_ptr<Cached>> cache_;  ///< key: "family name"
    std::map<std::string, std::string> cacheOwner_;
    bool persistSupported_ = true;
};

}  // namespace weft::kernel
