#include "set_resolver.hpp"

namespace weft::steer {

PrefixSet SetResolver::collect(const std::vector<PrefixOrSet>& items,
                               std::set<std::string>* missing) const {
    std::vector<Prefix> all;  // one normalization for the whole list, not one per item
    for (auto& item : items) {
        if (item.prefix) {
            all.push_back(*item.prefix);
            continue;
        }
        auto set = host_ ? host_->resolveSet(item.setName) : std::nullopt;
        if (set) {
            all.insert(all.end(), set->prefixes().begin(), set->prefixes().end());
            if (missing)
                missing->erase(item.setName);
        } else if (host_ && missing && missing->insert(item.setName).second) {
            host_->log(LogLevel::Notice,
                       "named set @" + item.setName + " is not published (yet): treated as empty");
        }
    }
    return PrefixSet(all);
}

PrefixSet SetResolver::peek(const std::vector<PrefixOrSet>& items) const {
    return collect(items, nullptr);
}

PrefixSet SetResolver::resolve(const std::vector<PrefixOrSet>& items) {
    return collect(items, &missing_);
}

}  // namespace weft::steer
