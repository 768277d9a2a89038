#include "bucket_owners.hpp"

#include <algorithm>

namespace weft::egress {

std::map<std::string, uint32_t> BucketOwners::shares(
    uint32_t buckets, const std::map<std::string, uint32_t>& weights) {
    std::map<std::string, uint32_t> out;
    uint64_t total = 0;
    for (auto& [name, w] : weights)
        total += w;
    if (total == 0)
        return out;
    uint32_t given = 0;
    std::vector<std::pair<uint64_t, std::string>> remainders;  // (remainder, name)
    for (auto& [name, w] : weights) {
        uint64_t exact = uint64_t(buckets) * w;
        out[name] = uint32_t(exact / total);
        given += out[name];
        remainders.emplace_back(exact % total, name);
    }
    // The largest remainders get one more; equal ones go by name.
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](auto& a, auto& b) { return a.first > b.first; });
    for (size_t i = 0; given < buckets && i < remainders.size(); ++i, ++given)
        ++out[remainders[i].second];
    return out;
}

std::map<std::string, uint32_t> BucketOwners::counts() const {
    std::map<std::string, uint32_t> out;
    for (auto& o : owner_) {
        if (!o.empty())
            ++out[o];
    }
    return out;
}

bool BucketOwners::restore(const std::vector<std::string>& owners,
                           const std::map<std::string, uint32_t>& lastHealthy) {
    if (owners.size() != owner_.size())
        return false;
    owner_ = owners;
    last_ = lastHealthy;
    return true;
}

uint32_t BucketOwners::rebalance(const std::map<std::string, uint32_t>& healthy) {
    auto share = shares(size(), healthy);
    auto have = counts();
    bool joined = std::any_of(healthy.begin(), healthy.end(), [&](auto& g) {
        auto l = last_.find(g.first);
        return l == last_.end() || l->second != g.second;
    });
    last_ = healthy;
    std::vector<uint32_t> free;  // buckets to hand out, ascending
    // A gone gateway gives up all its buckets; after a join (or a weight change) a gateway
    // above its share gives up its highest buckets (deterministic).
    std::map<std::string, uint32_t> surplus;
    for (auto& [name, n] : have) {
        auto s = share.find(name);
        uint32_t due = s == share.end() ? 0 : s->second;
        if (n > due && (s == share.end() || joined))
            surplus[name] = n - due;
    }
    for (uint32_t b = size(); b-- > 0;) {
        auto& o = owner_[b];
        if (o.empty()) {
            free.push_back(b);
            continue;
        }
        auto s = surplus.find(o);
        if (s != surplus.end() && s->second > 0) {
            --s->second;
            --have[o];
            o.clear();
            free.push_back(b);
        }
    }
    std::sort(free.begin(), free.end());
    uint32_t moved = 0;
    for (uint32_t b : free) {
        // The gateway furthest below its share; ties by name (map order).
        const std::string* best = nullptr;
        int64_t bestDeficit = 0;
        for (auto& [name, due] : share) {
            int64_t deficit = int64_t(due) - int64_t(have[name]);
            if (deficit > bestDeficit) {
                best = &name;
                bestDeficit = deficit;
            }
        }
        if (!best)
            break;  // nobody healthy: the bucket stays without an owner
        owner_[b] = *best;
        ++have[*best];
        ++moved;
    }
    return moved;
}

}  // namespace weft::egress
