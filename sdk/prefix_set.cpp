// PrefixSet: kept as merged address ranges per family, printed as a minimal CIDR cover.
#include <algorithm>

#include "weft/prefix.hpp"

namespace weft {
namespace {

__extension__ typedef unsigned __int128 u128;

struct Range {
    Family family;
    u128 lo, hi;  // inclusive
};

u128 toInt(const Address& a) {
    u128 v = 0;
    for (unsigned i = 0; i < a.size(); ++i)
        v = (v << 8) | a.bytes[i];
    return v;
}

Address fromInt(Family f, u128 v) {
    Address a;
    a.family = f;
    unsigned n = f == Family::V4 ? 4 : 16;
    for (unsigned i = 0; i < n; ++i)
        a.bytes[n - 1 - i] = uint8_t(v >> (8 * i));
    return a;
}

unsigned bitsOf(Family f) {
    return f == Family::V4 ? 32 : 128;
}

Range toRange(const Prefix& p) {
    return {p.family(), toInt(p.first()), toInt(p.last())};
}

// Sorted by (family, lo), overlapping and adjacent ranges merged.
std::vector<Range> merge(std::vector<Range> v) {
    std::sort(v.begin(), v.end(), [](const Range& a, const Range& b) {
        return a.family != b.family ? a.family < b.family : a.lo < b.lo;
    });
    std::vector<Range> out;
    for (auto& r : v) {
        if (!out.empty() && out.back().family == r.family &&
            (r.lo <= out.back().hi || r.lo - 1 == out.back().hi)) {
            out.back().hi = std::max(out.back().hi, r.hi);
        } else {
            out.push_back(r);
        }
    }
    return out;
}

u128 lowMask(unsigned n) {
    return n >= 128 ? ~u128(0) : (u128(1) << n) - 1;
}

// The largest aligned blocks that tile [lo, hi].
void cover(const Range& r, std::vector<Prefix>& out) {
    const unsigned bits = bitsOf(r.family);
    u128 lo = r.lo;
    while (true) {
        unsigned size = 0;  // the block holds 2^size addresses
        while (size < bits && (lo & lowMask(size + 1)) == 0 && lo + lowMask(size + 1) <= r.hi) {
            ++size;
        }
        out.push_back(Prefix{fromInt(r.family, lo), uint8_t(bits - size)});
        u128 last = lo + lowMask(size);
        if (last >= r.hi)
            break;
        lo = last + 1;
    }
}

std::vector<Range> rangesOf(const std::vector<Prefix>& ps) {
    std::vector<Range> v;
    v.reserve(ps.size());
    for (auto& p : ps)
        v.push_back(toRange(p));
    return v;
}

std::vector<Range> intersectRanges(const std::vector<Range>& a, const std::vector<Range>& b) {
    std::vector<Range> out;
    size_t i = 0, j = 0;
    auto before = [](const Range& x, const Range& y) {
        return x.family != y.family ? x.family < y.family : x.hi < y.lo;
    };
    while (i < a.size() && j < b.size()) {
        if (before(a[i], b[j])) {
            ++i;
        } else if (before(b[j], a[i])) {
            ++j;
        } else {
            out.push_back({a[i].family, std::max(a[i].lo, b[j].lo), std::min(a[i].hi, b[j].hi)});
            if (a[i].hi < b[j].hi)
                ++i;
            else
                ++j;
        }
    }
    return out;
}

std::vector<Range> subtractRanges(const std::vector<Range>& a, const std::vector<Range>& b) {
    std::vector<Range> out;
    size_t j = 0;
    for (auto r : a) {
        while (j < b.size() &&
               (b[j].family < r.family || (b[j].family == r.family && b[j].hi < r.lo)))
            ++j;
        size_t k = j;
        bool alive = true;
        while (alive && k < b.size() && b[k].family == r.family && b[k].lo <= r.hi) {
            if (b[k].lo > r.lo)
                out.push_back({r.family, r.lo, b[k].lo - 1});
            if (b[k].hi >= r.hi)
                alive = false;
            else
                r.lo = b[k].hi + 1;
            ++k;
        }
        if (alive)
            out.push_back(r);
    }
    return out;
}

std::vector<Prefix> toPrefixes(const std::vector<Range>& ranges) {
    std::vector<Prefix> out;
    for (auto& r : ranges)
        cover(r, out);
    return out;
}

}  // namespace

PrefixSet::PrefixSet(std::initializer_list<Prefix> prefixes) : prefixes_(prefixes) {
    normalize();
}
PrefixSet::PrefixSet(const std::vector<Prefix>& prefixes) : prefixes_(prefixes) {
    normalize();
}

void PrefixSet::normalize() {
    prefixes_ = toPrefixes(merge(rangesOf(prefixes_)));
}

void PrefixSet::add(const Prefix& p) {
    prefixes_.push_back(p);
    normalize();
}

void PrefixSet::add(const PrefixSet& other) {
    prefixes_.insert(prefixes_.end(), other.prefixes_.begin(), other.prefixes_.end());
    normalize();
}

void PrefixSet::remove(const Prefix& p) {
    *this = subtract(PrefixSet{p});
}

PrefixSet PrefixSet::unite(const PrefixSet& other) const {
    PrefixSet r = *this;
    r.add(other);
    return r;
}

PrefixSet PrefixSet::intersect(const PrefixSet& other) const {
    PrefixSet r;
    r.prefixes_ =
        toPrefixes(intersectRanges(merge(rangesOf(prefixes_)), merge(rangesOf(other.prefixes_))));
    r.normalize();
    return r;
}

PrefixSet PrefixSet::subtract(const PrefixSet& other) const {
    PrefixSet r;
    r.prefixes_ =
        toPrefixes(subtractRanges(merge(rangesOf(prefixes_)), merge(rangesOf(other.prefixes_))));
    r.normalize();
    return r;
}

bool PrefixSet::contains(const Address& a) const {
    return contains(Prefix::host(a));
}

bool PrefixSet::contains(const Prefix& p) const {
    // prefixes_ is sorted and disjoint: the only candidate is the last one starting at or before p.
    auto it = std::upper_bound(
        prefixes_.begin(), prefixes_.end(), p, [](const Prefix& x, const Prefix& y) {
            return x.family() != y.family() ? x.family() < y.family() : x.address < y.address;
        });
    if (it == prefixes_.begin())
        return false;
    return std::prev(it)->contains(p);
}

std::vector<Prefix> PrefixSet::prefixes(Family f) const {
    std::vector<Prefix> out;
    for (auto& p : prefixes_) {
        if (p.family() == f)
            out.push_back(p);
    }
    return out;
}

}  // namespace weft
