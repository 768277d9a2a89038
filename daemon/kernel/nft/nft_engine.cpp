#include "nft_engine.hpp"

#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <system_error>

#include "nft_diff.hpp"
#include "nft_lower.hpp"
#include "nft_messages.hpp"
#include "nft_read.hpp"
#include "nft_socket.hpp"

namespace weft::kernel {

using namespace nft;

struct NftEngine::Cached {
    TableView view;
    /// The DesiredView generation `view` equals (it was applied), 0 when read from the kernel.
    uint64_t synced = 0;
};

namespace {

std::string key(TableFamily f, const std::string& name) {
    return familyName(f) + " " + name;
}

const TableHeader* findHeader(const std::vector<TableHeader>& headers, TableFamily f,
                              const std::string& name) {
    auto h = std::find_if(headers.begin(), headers.end(),
                          [&](auto& x) { return x.family == f && x.name == name; });
    return h == headers.end() ? nullptr : &*h;
}

bool isWeft(const TableHeader& h) {
    return h.comment.rfind("weft:", 0) == 0;
}

}  // namespace

/// One apply in the making: the batch, what it touches, the views it will cache.
struct NftEngine::Plan {
    std::vector<BatchMessage> batch;
    std::vector<std::string> touched;                 ///< cache keys of tables the batch changes
    std::map<std::string, const DesiredView*> views;  ///< the desired tables' views, updated
    std::vector<std::string> deleted;                 ///< cache keys of tables it deletes
    uint32_t setId = 1;
};

NftEngine::NftEngine() : NftEngine(Options{}) {}
NftEngine::NftEngine(Options o) : options_(o), sock_(std::make_unique<NftSocket>()) {}
NftEngine::~NftEngine() = default;

uint32_t NftEngine::portId() const {
    return sock_->portId();
}

BatchStats NftEngine::lastBatchStats() const {
    return sock_->lastBatch();
}

void NftEngine::invalidate(const std::string& table) {
    if (table.empty()) {
        cache_.clear();
        return;
    }
    for (auto it = cache_.begin(); it != cache_.end();) {
        it = it->first.substr(it->first.find(' ') + 1) == table ? cache_.erase(it) : std::next(it);
    }
}

std::vector<std::string> NftEngine::owners() {
    std::set<std::string> out;
    for (auto& h : readTables(*sock_)) {
        if (isWeft(h))
            out.insert(h.comment.substr(5));
    }
    return {out.begin(), out.end()};
}

uint32_t NftEngine::tableFlags() {
    if (!options_.ownerFlag)
        return 0;
    if (!persistSupported_) {
        // Create and delete a probe table with owner+persist in one batch: a kernel without
        // persist (< 6.9) or owner (< 5.12) refuses the flags, and nothing stays behind.
        Target probe{TableFamily::Inet, "weft-probe-" + std::to_string(sock_->portId())};
        persistSupported_ =
            sock_
                ->sendBatch(
                    {newTable(probe, "probe", NFT_TABLE_F_OWNER | kTablePersist), delTable(probe)})
                .empty();
    }
    // Never the owner flag alone: the table would die with weftd's socket.
    return *persistSupported_ ? (NFT_TABLE_F_OWNER | kTablePersist) : 0;
}

// Adds the messages converging one desired table; returns an error message or "".
std::string NftEngine::planTable(Plan& plan, const std::string& owner, const TableHeader* have,
                                 const weft::nft::Table& desired) {
    auto k = key(desired.family, desired.name);
    std::optional<weft::nft::Table> lowered;
    try {
        if (needsLowering(desired))
            lowered = lowerTable(desired);
    } catch (const std::exception& e) {
        return "table " + k + ": " + e.what();
    }
    const weft::nft::Table& t = lowered ? *lowered : desired;
    if (have && have->comment != ownerTag(owner)) {
        return "table " + k + " exists and is not " + owner + "'s (" +
               (have->comment.empty() ? "no weft tag" : "comment \"" + have->comment + "\"") +
               "); refusing to take it over";
    }
    Target target{t.family, t.name};
    auto& desiredView = desired_[k];
    if (!desiredView)
        desiredView = std::make_unique<DesiredView>();
    desiredView->update(t);
    plan.views[k] = desiredView.get();
    const TableView& want = desiredView->view();
    std::vector<BatchMessage> msgs;
    uint32_t flags = tableFlags();
    try {
        if (!have) {
            msgs = createTable(target, owner, flags, want, t, plan.setId);
        } else if ((have->flags & kTablePersist) != (flags & kTablePersist)) {
            // The kernel cannot add or drop "persist" on a live table (and takes the owner flag
            // only with it): the owner option changed, so re-create the table, atomically.
            msgs.push_back(delTable(target));
            for (auto& m : createTable(target, owner, flags, want, t, plan.setId))
                msgs.push_back(std::move(m));
        } else {
            // A persistent table whose owner died (weftd restarted) is an orphan: re-owning it
            // is an update of the table's flags inside the same batch, not a change.
            uint32_t adopt = flags && !have->hasOwner ? flags : 0;
            // When the cache holds the previous desired view, only what changed since is
            // compared; otherwise (read from the kernel, a failed or skipped apply) everything.
            Cached& have = current(t.family, t.name);
            bool synced = have.synced && have.synced + 1 == desiredView->generation();
            msgs = diffTable(target, owner, adopt, have.view, want, t, plan.setId,
                             synced ? &desiredView->changes() : nullptr);
        }
    } catch (const std::system_error&) {
        throw;  // reading the kernel failed: apply() decides
    } catch (const std::exception& e) {
        return "table " + k + ": " + e.what();  // a rule the kernel cannot express
    }
    if (std::any_of(msgs.begin(), msgs.end(), [](auto& m) { return m.objects > 0; }))
        plan.touched.push_back(k);
    for (auto& m : msgs)
        plan.batch.push_back(std::move(m));
    return {};
}

ApplyResult NftEngine::apply(const std::string& owner, const std::vector<weft::nft::Table>& desired,
                             const std::vector<std::string>& recorded) {
    for (int attempt = 1;; ++attempt) {
        try {
            return applyOnce(owner, desired, recorded);
        } catch (const std::system_error& e) {
            // EINTR: the ruleset changed during a dump (NLM_F_DUMP_INTR); read it again.
            if (e.code().value() == EINTR && attempt < 3)
                continue;
            ApplyResult r;
            r.errors.push_back(std::string("reading nftables state: ") + e.what());
            return r;
        }
    }
}

// A table is the owner's to delete when it carries the owner's tag (nobody else's table is
// touched) and weft's record lists it (a tag proves nothing: anyone can write that comment).
bool NftEngine::deletable(const std::string& owner, const TableHeader& h,
                          const std::vector<std::string>& recorded) const {
    if (h.comment != ownerTag(owner))
        return false;
    auto mine = applied_.find(owner);
    return (mine != applied_.end() && mine->second.count(key(h.family, h.name))) ||
           std::find(recorded.begin(), recorded.end(), h.name) != recorded.end();
}

void NftEngine::planDelete(Plan& plan, const TableHeader& h) {
    auto k = key(h.family, h.name);
    plan.batch.push_back(delTable({h.family, h.name}));
    plan.touched.push_back(k);
    plan.deleted.push_back(k);
    desired_.erase(k);
}

ApplyResult NftEngine::applyOnce(const std::string& owner,
                                 const std::vector<weft::nft::Table>& desired,
                                 const std::vector<std::string>& recorded) {
    ApplyResult result;
    auto headers = readTables(*sock_);
    Plan plan;
    for (auto& t : desired) {
        auto error = planTable(plan, owner, findHeader(headers, t.family, t.name), t);
        if (!error.empty())
            result.errors.push_back(error);
    }
    for (auto& h : headers) {  // owned tables no longer desired
        bool wanted = std::any_of(desired.begin(), desired.end(), [&](auto& t) {
            return t.family == h.family && t.name == h.name;
        });
        if (!wanted && deletable(owner, h, recorded))
            planDelete(plan, h);
    }
    if (!result.errors.empty()) {
        sock_->sendBatch({});  // nothing was sent: the stats say so
        return result;         // refuse the whole change
    }
    result = send(plan);
    if (result.ok())
        record(owner, plan);
    return result;
}

void NftEngine::record(const std::string& owner, const Plan& plan) {
    auto& mine = applied_[owner];
    for (auto& [k, view] : plan.views)
        mine.insert(k);
    for (auto& k : plan.deleted)
        mine.erase(k);
}

// Sends the plan's batch. On failure the cache forgets the touched tables (the kernel rolled
// back, but a reread is cheap and certain); on success it holds the desired views: patched
// with what changed when it held the previous ones, copied otherwise.
ApplyResult NftEngine::send(Plan& plan) {
    ApplyResult result;
    result.errors = sock_->sendBatch(plan.batch);
    for (auto& k : plan.touched) {
        if (!result.ok() || !plan.views.count(k))
            cache_.erase(k);
    }
    if (!result.ok())
        return result;
    for (auto& m : plan.batch)
        result.changes += m.objects;
    for (auto& [k, desired] : plan.views) {
        auto& c = cache_[k];
        if (!c)
            c = std::make_unique<Cached>();
        const TableView& want = desired->view();
        if (c->synced && c->synced + 1 == desired->generation()) {
            for (auto& name : desired->changes().chains) {
                auto w = want.chains.find(name);
                if (w == want.chains.end())
                    c->view.chains.erase(name);
                else
                    c->view.chains[name] = w->second;
            }
            for (auto& name : desired->changes().sets) {
                auto w = want.sets.find(name);
                if (w == want.sets.end())
                    c->view.sets.erase(name);
                else
                    c->view.sets.insert_or_assign(name, w->second);
            }
            c->view.counters = want.counters;
        } else {
            c->view = want;
        }
        c->synced = desired->generation();
    }
    return result;
}

NftEngine::Cached& NftEngine::current(TableFamily family, const std::string& name) {
    auto k = key(family, name);
    auto it = cache_.find(k);
    if (it == cache_.end()) {
        auto c = std::make_unique<Cached>();
        c->view = readTable(*sock_, family, name);
        it = cache_.emplace(k, std::move(c)).first;
    }
    return *it->second;
}

ApplyResult NftEngine::removeOwner(const std::string& owner,
                                   const std::vector<std::string>& recorded) {
    Plan plan;
    for (auto& h : readTables(*sock_)) {
        if (deletable(owner, h, recorded))
            planDelete(plan, h);
    }
    auto result = send(plan);
    if (result.ok())
        applied_.erase(owner);
    return result;
}

std::vector<RuleCounter> NftEngine::counters(const std::string& owner) {
    std::vector<RuleCounter> out;
    for (auto& h : readTables(*sock_)) {
        if (h.comment != ownerTag(owner))
            continue;
        for (auto& c : readCounters(*sock_, h.family, h.name))
            out.push_back(c);
    }
    return out;
}

}  // namespace weft::kernel

namespace weft::kernel {

std::map<std::string, weft::nft::CounterValue> NftEngine::namedCounters(
    const std::string& owner, weft::nft::TableFamily family, const std::string& table) {
    for (auto& h : readTables(*sock_)) {
        if (h.family == family && h.name == table && h.comment == ownerTag(owner))
            return readNamedCounters(*sock_, family, table);
    }
    return {};
}

}  // namespace weft::kernel
