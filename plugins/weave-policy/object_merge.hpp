// weave-policy: merging objects from several sources (files, D-Bus, the cluster store).
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "object_set.hpp"

namespace weft::weave {

/// Which pod has each address, so a second claimant can be refused: Kubernetes never hands
/// one address to two live pods, and the compiler's dispatch maps hold one pod per address.
class AddressOwners {
  public:
    explicit AddressOwners(const ObjectSet& objects);
    /// The other pod that already has one of `pod`'s addresses, and that address.
    std::optional<std::pair<ObjectKey, Address>> clash(const Pod& pod) const;
    /// `pod` now owns its addresses; the addresses of `previous` (the version it replaces, if
    /// any) are released first.
    void replace(const Pod* previous, const Pod& pod);

  private:
    std::map<Address, ObjectKey> owner_;
};

/// The keys whose object differs between `a` and `b` (added, removed or changed).
std::vector<ObjectKey> changedKeys(const ObjectSet& a, const ObjectSet& b);

}  // namespace weft::weave
