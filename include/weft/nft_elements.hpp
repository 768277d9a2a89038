// weft plugin SDK: nftables set and map elements, and the set that holds them.
//
// An ElementSet is a value (copy, compare, print) kept sorted by key. It is stored as
// copy-on-write chunks, so copying one is cheap, and the core can tell what changed between a
// set and an edited copy of it by skipping the chunks they still share: a plugin that keeps its
// set and edits it (insert/erase) has a one-element change applied in time independent of the
// set's size. A set built afresh is diffed element by element, in linear time.
#pragma once

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "weft/config.hpp"
#include "weft/prefix.hpp"

namespace weft::nft {

enum class Verdict { Accept, Drop, Return, Continue, Jump, Goto };

/// One field of a key: a prefix (interval sets; a host prefix in plain sets), a port or port
/// range, a 32-bit number (mark, proto, hash bucket) or an interface name.
using KeyPart = std::variant<Prefix, PortRange, uint32_t, std::string>;

/// A concatenated key, one part per type of the set's `concat` ("10.0.0.1 . tcp . 80"). In an
/// interval set each address or port part may be a range (a prefix, a port range).
struct Concat {
    std::vector<KeyPart> parts;
    auto operator<=>(const Concat&) const = default;
};

/// A set element key: one field, or a concatenation of several.
using ElementKey = std::variant<Prefix, PortRange, uint32_t, std::string, Concat>;

/// Verdict data of a verdict map.
struct VerdictData {
    Verdict verdict = Verdict::Accept;
    std::string chain;  ///< for Jump / Goto
    auto operator<=>(const VerdictData&) const = default;
};
using ElementData = std::variant<uint32_t, Address, VerdictData>;

struct Element {
    ElementKey key;
    std::optional<ElementData> data;  ///< maps only
    auto operator<=>(const Element&) const = default;
};

/// Elements with distinct keys, in key order. Inserting a key that is present replaces its
/// data. Interval sets must not hold overlapping keys (a PrefixSet's prefixes never overlap);
/// the core refuses a set that does, naming both elements.
class ElementSet {
    using Chunk = std::vector<Element>;
    using Chunks = std::vector<std::shared_ptr<Chunk>>;

  public:
    ElementSet() = default;
    ElementSet(std::initializer_list<Element> elements);
    /// From any order; of two elements with one key, the later wins.
    explicit ElementSet(std::vector<Element> elements);

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    /// Adds `e`, or replaces the data of the element with its key. O(1) amortised when keys
    /// arrive in order (as from a PrefixSet), O(log n + chunk) otherwise.
    void insert(Element e);
    /// Same as insert: lets code that builds a vector build a set.
    void push_back(Element e) { insert(std::move(e)); }
    /// Removes the element with this key; false if there is none.
    bool erase(const ElementKey& key);
    void clear();
    /// Edits this set into a copy of `to`, element by element. The chunks that do not change
    /// stay shared with this set's earlier copies, so a plugin that rebuilds its sets from
    /// scratch but keeps them with update() still has a small change applied in time
    /// independent of the set's size. Linear in the sizes, plus the edits.
    void update(const ElementSet& to);

    /// The element with this key, or null.
    const Element* find(const ElementKey& key) const;
    /// The neighbours of `key`'s place: the greatest element with a smaller key and the
    /// smallest with a greater one (null where there is none).
    const Element* before(const ElementKey& key) const;
    const Element* after(const ElementKey& key) const;

    class const_iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = Element;
        using difference_type = std::ptrdiff_t;
        using pointer = const Element*;
        using reference = const Element&;
        const_iterator() = default;
        reference operator*() const { return (*(*chunks_)[chunk_])[index_]; }
        pointer operator->() const { return &**this; }
        const_iterator& operator++();
        const_iterator operator++(int) {
            auto old = *this;
            ++*this;
            return old;
        }
        bool operator==(const const_iterator& o) const {
            return chunk_ == o.chunk_ && index_ == o.index_;
        }

      private:
        friend class ElementSet;
        const_iterator(const Chunks* c, size_t chunk) : chunks_(c), chunk_(chunk) {}
        const Chunks* chunks_ = nullptr;
        size_t chunk_ = 0, index_ = 0;
    };
    const_iterator begin() const { return {&chunks_, 0}; }
    const_iterator end() const { return {&chunks_, chunks_.size()}; }

    std::vector<Element> toVector() const;

    /// What takes `from` to `to`: the elements to remove (key gone or data changed) and to
    /// add, each in key order. Chunks the two still share are skipped unread.
    struct Diff {
        std::vector<Element> removed, added;
    };
    static Diff diff(const ElementSet& from, const ElementSet& to);

    friend bool operator==(const ElementSet& a, const ElementSet& b);
    friend std::strong_ordering operator<=>(const ElementSet& a, const ElementSet& b);

  private:
    size_t chunkFor(const ElementKey& key) const;
    Chunk& writable(size_t chunk);
    void rebalance(size_t chunk);

    Chunks chunks_;  ///< none empty; keys ascend within and across chunks
    size_t size_ = 0;
};

}  // namespace weft::nft
