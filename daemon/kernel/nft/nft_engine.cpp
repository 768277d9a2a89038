#include "nft_engine.hpp"

#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <set>

#include "nft_diff.hpp"
#include "nft_messages.hpp"
#include "nft_read.hpp"

namespace weft::kernel {

using namespace nft;

struct NftEngine::Cached {
    TableView view;
};

static std::string key(TableFamily f, const std::string& name) {
    return familyName(f) + " " + name;
}

NftEngine::NftEngine() : NftEngine(Options{}) {}
NftEngine::NftEngine(Options o) : options_(o), sock_(std::make_unique<NftSocket>()) {}
NftEngine::~NftEngine() = default;

uint32_t NftEngine::portId() const {
    return sock_->portId();
}
size_t NftEngine::lastBatchMessages() const {
    return sock_->lastBatchMessages();
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
        if (h.comment.rfind("weft:", 0) == 0)
            out.insert(h.comment.substr(5));
    }
    return {out.begin(), out.end()};
}

ApplyResult NftEngine::apply(const std::string& owner,
                             const std::vector<weft::nft::Table>& desired) {
    ApplyResult result;
    auto headers = readTables(*sock_);
    std::vector<BatchMessage> batch;
    std::vector<std::string> touched;
    uint32_t setId = 1;
    size_t adoptions = 0;  // re-taking ownership of an orphaned table is not a change
    uint32_t flags =
        options_.ownerFlag && persistSupported_ ? (NFT_TABLE_F_OWNER | kTablePersist) : 0;
    std::map<std::string, TableView>
        views;  // computed once: canonicalizing 100k elements is the cost
    for (auto& t : desired) {
        auto h = std::find_if(headers.begin(), headers.end(),
                              [&](auto& x) { return x.family == t.family && x.name == t.name; });
        if (h != headers.end() && h->comment != ownerTag(owner)) {
            result.errors.push_back(
                "table " + key(t.family, t.name) + " exists and is not weft's (" +
                (h->comment.empty() ? "no weft tag" : h->comment) + "); refusing to take it over");
            continue;
        }
        Target target{t.family, t.name};
        TableView& want = views[key(t.family, t.name)] = viewOf(t);
        std::vector<BatchMessage> msgs;
        try {
            if (h == headers.end()) {
                msgs = createTable(target, owner, flags, want, t, setId);
            } else {
                // An orphaned persistent table (its weftd died): take ownership back.
                bool adopt = flags && !h->hasOwner;
                adoptions += adopt;
                msgs = diffTable(target, owner, adopt ? flags : 0, *current(t.family, t.name, true),
                                 want, t, setId);
            }
        } catch (const std::exception& e) {
            result.errors.push_back("table " + key(t.family, t.name) + ": " + e.what());
            continue;
        }
        if (!msgs.empty())
            touched.push_back(key(t.family, t.name));
        for (auto& m : msgs)
            batch.push_back(std::move(m));
    }
    for (auto& h : headers) {  // owned tables no longer desired
        if (h.comment != ownerTag(owner))
            continue;
        bool wanted = std::any_of(desired.begin(), desired.end(), [&](auto& t) {
            return t.family == h.family && t.name == h.name;
        });
        if (!wanted) {
            batch.push_back(delTable({h.family, h.name}));
            touched.push_back(key(h.family, h.name));
        }
    }
    if (!result.errors.empty())
        return result;  // refuse the whole change
    auto errors = sock_->sendBatch(batch);
    if (!errors.empty() && flags && std::any_of(errors.begin(), errors.end(), [](auto& e) {
            return e.find("Operation not supported") != std::string::npos;
        })) {
        persistSupported_ = false;  // kernel < 6.9: no persist flag, so no owner flag either
        cache_.clear();
        return apply(owner, desired);
    }
    if (!errors.empty()) {
        result.errors = errors;
        for (auto& k : touched)
            cache_.erase(k);
        return result;
    }
    result.changes = unsigned(batch.size() - adoptions);
    for (auto& k : touched)
        cache_.erase(k);
    for (auto& t : desired) {
        auto c = std::make_unique<Cached>();
        c->view = std::move(views[key(t.family, t.name)]);
        cache_[key(t.family, t.name)] = std::move(c);
    }
    return result;
}

const TableView* NftEngine::current(TableFamily family, const std::string& name, bool) {
    auto k = key(family, name);
    auto it = cache_.find(k);
    if (it == cache_.end()) {
        auto c = std::make_unique<Cached>();
        c->view = readTable(*sock_, family, name);
        it = cache_.emplace(k, std::move(c)).first;
    }
    return &it->second->view;
}

ApplyResult NftEngine::removeOwner(const std::string& owner) {
    ApplyResult r;
    std::vector<BatchMessage> batch;
    for (auto& h : readTables(*sock_)) {
        if (h.comment == ownerTag(owner)) {
            batch.push_back(delTable({h.family, h.name}));
            cache_.erase(key(h.family, h.name));
        }
    }
    r.errors = sock_->sendBatch(batch);
    if (r.ok())
        r.changes = unsigned(batch.size());
    return r;
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
