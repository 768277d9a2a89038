// Converges weft's nftables tables to their desired state, one transaction per call.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kernel/apply_result.hpp"
#include "kernel/nft/nft_batch_stats.hpp"
#include "weft/state.hpp"

namespace weft::kernel {

namespace nft {
class NftSocket;
struct TableView;
struct TableHeader;
class DesiredView;
}  // namespace nft

struct RuleCounter {
    std::string table, chain, comment;
    uint64_t packets = 0, bytes = 0;
};

/// The only code in weft that speaks nf_tables.
///
/// Ownership: a weft table carries the userdata comment "weft:<owner>" (shown by `nft list` as
/// `comment "weft:<owner>"`); only tables with the caller's tag are ever changed, and a foreign
/// table with a desired name is an error. The tag alone never makes a table deletable (anyone
/// can write that comment): a table is deleted only if it is also in weft's own record of the
/// owner's tables — the tables this engine applied for the owner, or the names the caller's
/// record (which outlives weftd) passes in `recorded`. With Options::ownerFlag the tables are
/// created with NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST (probed once: no owner flag at all on a
/// kernel without persist). While this engine's socket is open, nobody else can change or
/// delete them: `nft delete table ...` fails with "Operation not permitted", and
/// `nft flush ruleset` skips them. When the socket closes (weftd exits or dies) they stay as
/// persistent orphans; the next engine re-takes ownership with a flags update in the same batch
/// as its diff (adoption is not counted as a change). Switching the option on or off re-creates
/// the tables in one transaction: the kernel cannot add or drop "persist" on a live table.
///
/// Identity: each rule carries a hash of its typed content in its userdata (TLV type 0x57,
/// beside nft's comment TLV), so diffing and adoption compare hash lists, not bytecode.
///
/// Knowledge: what the engine last applied is cached per table, so a reconcile that changes
/// nothing costs a table-list dump and sends nothing. The view of the last desired table is kept
/// too, so an apply compares typed rules, hashes only those that changed, and, while the cache
/// holds what was last applied, diffs only the chains and sets that changed since. A cache miss
/// (first apply, invalidate(), a failed batch) reads the table back from the kernel.
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

    /// Converges the owner's tables to `desired` in ONE transaction: creates missing tables,
    /// deletes owned tables no longer desired (tagged for `owner` and recorded: applied by this
    /// engine or named in `recorded`), replaces changed chains, and updates set elements element
    /// by element. A failed batch changes nothing; errors name the object. A no-change call
    /// sends nothing.
    ApplyResult apply(const std::string& owner, const std::vector<weft::nft::Table>& desired,
                      const std::vector<std::string>& recorded = {});
    /// Deletes the owner's tables: tagged for `owner` and applied by this engine or named in
    /// `recorded` (table names, any family). Other tables with the owner's tag stay.
    ApplyResult removeOwner(const std::string& owner,
                            const std::vector<std::string>& recorded = {});
    /// Switches Options::ownerFlag; each table is re-created with or without owner+persist, in
    /// one transaction, on its owner's next apply.
    void setOwnerFlag(bool on) { options_.ownerFlag = on; }
    /// Owners of weft-tagged tables in the kernel.
    std::vector<std::string> owners();
    /// Counters of the owner's rules that have a Counter statement.
    std::vector<RuleCounter> counters(const std::string& owner);
    /// The named counters of `owner`'s table (empty if it has no such table).
    std::map<std::string, weft::nft::CounterValue> namedCounters(const std::string& owner,
                                                                 weft::nft::TableFamily family,
                                                                 const std::string& table);
    /// Port id of the engine's socket (monitors ignore changes made through it).
    uint32_t portId() const;
    /// Forgets what it believes is in the kernel (all tables, or one), so the next apply reads it.
    void invalidate(const std::string& table = {});
    /// What the last apply or removeOwner sent (tests, benchmarks): 0 messages = nothing.
    nft::BatchStats lastBatchStats() const;
    size_t lastBatchMessages() const { return lastBatchStats().messages; }

  private:
    struct Cached;
    struct Plan;
    uint32_t tableFlags();
    std::string planTable(Plan& plan, const std::string& owner, const nft::TableHeader* have,
                          const weft::nft::Table& t);
    ApplyResult applyOnce(const std::string& owner, const std::vector<weft::nft::Table>& desired,
                          const std::vector<std::string>& recorded);
    bool deletable(const std::string& owner, const nft::TableHeader& h,
                   const std::vector<std::string>& recorded) const;
    void planDelete(Plan& plan, const nft::TableHeader& h);
    ApplyResult send(Plan& plan);
    void record(const std::string& owner, const Plan& plan);
    Cached& current(weft::nft::TableFamily family, const std::string& name);

    Options options_;
    std::unique_ptr<nft::NftSocket> sock_;
    std::map<std::string, std::unique_ptr<Cached>> cache_;  ///< key: "family name"
    /// Views of the last desired tables (same keys), so an apply hashes changed rules only.
    std::map<std::string, std::unique_ptr<nft::DesiredView>> desired_;
    std::optional<bool> persistSupported_;  ///< probed on first use
    /// Tables ("family name") this engine applied per owner: its own record of what it made.
    std::map<std::string, std::set<std::string>> applied_;
};

}  // namespace weft::kernel
