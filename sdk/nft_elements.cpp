#include "weft/nft_elements.hpp"

#include <algorithm>

namespace weft::nft {

namespace {

// Chunks hold up to kMax elements; a full one splits in halves, and one that shrinks below
// kMin merges with a neighbour. Sets are built in half-full chunks so inserts rarely split.
constexpr size_t kMax = 256, kMin = 32, kBuild = 128;

bool keyLess(const Element& a, const Element& b) {
    return a.key < b.key;
}

}  // namespace

ElementSet::ElementSet(std::initializer_list<Element> elements)
    : ElementSet(std::vector<Element>(elements)) {}

ElementSet::ElementSet(std::vector<Element> v) {
    std::stable_sort(v.begin(), v.end(), keyLess);
    // Keep the last of each run of equal keys.
    std::vector<Element> unique;
    unique.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        if (i + 1 < v.size() && v[i].key == v[i + 1].key)
            continue;
        unique.push_back(std::move(v[i]));
    }
    size_ = unique.size();
    for (size_t i = 0; i < unique.size(); i += kBuild) {
        auto end = std::min(unique.size(), i + kBuild);
        chunks_.push_back(std::make_shared<Chunk>(std::make_move_iterator(unique.begin() + i),
                                                  std::make_move_iterator(unique.begin() + end)));
    }
}

ElementSet::const_iterator& ElementSet::const_iterator::operator++() {
    if (++index_ == (*chunks_)[chunk_]->size()) {
        ++chunk_;
        index_ = 0;
    }
    return *this;
}

// The first chunk whose last key is not below `key` (the last chunk if every key is below).
size_t ElementSet::chunkFor(const ElementKey& key) const {
    auto it = std::partition_point(chunks_.begin(), chunks_.end(),
                                   [&](auto& c) { return c->back().key < key; });
    return it == chunks_.end() ? chunks_.size() - 1 : size_t(it - chunks_.begin());
}

// Copy on write: a chunk another set still refers to is cloned before it changes.
ElementSet::Chunk& ElementSet::writable(size_t i) {
    if (chunks_[i].use_count() > 1)
        chunks_[i] = std::make_shared<Chunk>(*chunks_[i]);
    return *chunks_[i];
}

void ElementSet::rebalance(size_t i) {
    Chunk& c = *chunks_[i];
    if (c.size() > kMax) {
        auto half = std::make_shared<Chunk>(std::make_move_iterator(c.begin() + long(c.size() / 2)),
                                            std::make_move_iterator(c.end()));
        c.resize(c.size() / 2);
        chunks_.insert(chunks_.begin() + long(i) + 1, std::move(half));
    } else if (c.empty()) {
        chunks_.erase(chunks_.begin() + long(i));
    } else if (c.size() < kMin && chunks_.size() > 1) {
        size_t left = i > 0 ? i - 1 : i;  // merge into the left neighbour, or take the right one
        if (chunks_[left]->size() + chunks_[left + 1]->size() > kMax)
            return;
        Chunk& into = writable(left);
        Chunk& from = *chunks_[left + 1];
        into.insert(into.end(), from.begin(), from.end());
        chunks_.erase(chunks_.begin() + long(left) + 1);
    }
}

void ElementSet::insert(Element e) {
    if (chunks_.empty()) {
        chunks_.push_back(std::make_shared<Chunk>());
        chunks_.back()->push_back(std::move(e));
        size_ = 1;
        return;
    }
    size_t i = chunkFor(e.key);
    const Chunk& c = *chunks_[i];
    auto pos = std::lower_bound(c.begin(), c.end(), e, keyLess);
    if (pos != c.end() && pos->key == e.key) {
        if (pos->data == e.data)
            return;
        size_t at = size_t(pos - c.begin());
        writable(i)[at].data = std::move(e.data);
        return;
    }
    if (pos == c.end() && c.size() >= kMax) {  // appending in order past a full chunk
        chunks_.insert(chunks_.begin() + long(i) + 1, std::make_shared<Chunk>());
        chunks_[i + 1]->push_back(std::move(e));
        ++size_;
        return;
    }
    size_t at = size_t(pos - c.begin());
    Chunk& w = writable(i);
    w.insert(w.begin() + long(at), std::move(e));
    ++size_;
    rebalance(i);
}

bool ElementSet::erase(const ElementKey& key) {
    if (chunks_.empty())
        return false;
    size_t i = chunkFor(key);
    const Chunk& c = *chunks_[i];
    auto pos = std::partition_point(c.begin(), c.end(), [&](auto& x) { return x.key < key; });
    if (pos == c.end() || pos->key != key)
        return false;
    size_t at = size_t(pos - c.begin());
    Chunk& w = writable(i);
    w.erase(w.begin() + long(at));
    --size_;
    rebalance(i);
    return true;
}

void ElementSet::clear() {
    chunks_.clear();
    size_ = 0;
}

void ElementSet::update(const ElementSet& to) {
    if (empty() || to.empty()) {  // nothing to keep shared: take `to`'s chunks
        *this = to;
        return;
    }
    auto d = diff(*this, to);
    for (auto& e : d.removed)
        erase(e.key);
    for (auto& e : d.added)
        insert(e);
}

const Element* ElementSet::find(const ElementKey& key) const {
    if (chunks_.empty())
        return nullptr;
    const Chunk& c = *chunks_[chunkFor(key)];
    auto pos = std::partition_point(c.begin(), c.end(), [&](auto& x) { return x.key < key; });
    return pos != c.end() && pos->key == key ? &*pos : nullptr;
}

const Element* ElementSet::before(const ElementKey& key) const {
    if (chunks_.empty())
        return nullptr;
    size_t i = chunkFor(key);
    const Chunk& c = *chunks_[i];
    auto pos = std::partition_point(c.begin(), c.end(), [&](auto& x) { return x.key < key; });
    if (pos != c.begin())
        return &*(pos - 1);
    return i > 0 ? &chunks_[i - 1]->back() : nullptr;
}

const Element* ElementSet::after(const ElementKey& key) const {
    if (chunks_.empty())
        return nullptr;
    size_t i = chunkFor(key);
    const Chunk& c = *chunks_[i];
    auto pos = std::partition_point(c.begin(), c.end(), [&](auto& x) { return !(key < x.key); });
    if (pos != c.end())
        return &*pos;
    return i + 1 < chunks_.size() ? &chunks_[i + 1]->front() : nullptr;
}

std::vector<Element> ElementSet::toVector() const {
    return {begin(), end()};
}

namespace {

// A position in a set's chunks for the diff walk.
struct Cursor {
    const std::vector<std::shared_ptr<std::vector<Element>>>& chunks;
    size_t chunk = 0, index = 0;
    bool done() const { return chunk == chunks.size(); }
    bool atChunkStart() const { return index == 0; }
    const Element& get() const { return (*chunks[chunk])[index]; }
    void next() {
        if (++index == chunks[chunk]->size()) {
            ++chunk;
            index = 0;
        }
    }
};

}  // namespace

ElementSet::Diff ElementSet::diff(const ElementSet& from, const ElementSet& to) {
    Diff d;
    Cursor a{from.chunks_}, b{to.chunks_};
    while (!a.done() && !b.done()) {
        if (a.atChunkStart() && b.atChunkStart() && a.chunks[a.chunk] == b.chunks[b.chunk]) {
            ++a.chunk;  // shared: equal by construction
            ++b.chunk;
            continue;
        }
        const Element& x = a.get();
        const Element& y = b.get();
        if (x.key < y.key) {
            d.removed.push_back(x);
            a.next();
        } else if (y.key < x.key) {
            d.added.push_back(y);
            b.next();
        } else {
            if (x.data != y.data) {
                d.removed.push_back(x);
                d.added.push_back(y);
            }
            a.next();
            b.next();
        }
    }
    for (; !a.done(); a.next())
        d.removed.push_back(a.get());
    for (; !b.done(); b.next())
        d.added.push_back(b.get());
    return d;
}

bool operator==(const ElementSet& a, const ElementSet& b) {
    if (a.size_ != b.size_)
        return false;
    Cursor x{a.chunks_}, y{b.chunks_};
    while (!x.done() && !y.done()) {
        if (x.atChunkStart() && y.atChunkStart() && x.chunks[x.chunk] == y.chunks[y.chunk]) {
            ++x.chunk;
            ++y.chunk;
            continue;
        }
        if (x.get() != y.get())
            return false;
        x.next();
        y.next();
    }
    return x.done() && y.done();
}

std::strong_ordering operator<=>(const ElementSet& a, const ElementSet& b) {
    return std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace weft::nft
