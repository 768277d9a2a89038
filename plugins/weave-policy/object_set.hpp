// weave-policy: the objects in force, from manifests and from D-Bus, and what a change did.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "objects.hpp"

namespace weft::weave {

/// What one apply or delete changed, for the D-Bus reply and the log.
struct Change {
    enum class Action { Created, Updated, Unchanged, Deleted };
    ObjectKey key;
    Action action = Action::Unchanged;
    bool operator==(const Change&) const = default;
};
const char* actionName(Change::Action action);  ///< "created", "updated", ...

/// Every object by kind, keyed for lookups by namespace and name. A Pod or NetworkPolicy may
/// name a namespace no Namespace object describes yet: it is then a namespace without labels,
/// as it would be in a cluster the moment it is created.
class ObjectSet {
  public:
    /// Inserts or replaces each object (later ones win within one call).
    std::vector<Change> apply(const std::vector<Object>& objects);
    /// Removes one object; false when it is not there.
    bool remove(const ObjectKey& key);

    const std::map<std::string, Namespace>& namespaces() const { return namespaces_; }
    /// Pods and policies by (namespace, name).
    const std::map<std::pair<std::string, std::string>, Pod>& pods() const { return pods_; }
    const std::map<std::pair<std::string, std::string>, NetworkPolicy>& policies() const {
        return policies_;
    }
    /// The labels of a namespace (empty when no Namespace object names it).
    const Labels& namespaceLabels(const std::string& ns) const;
    /// Every object, in key order (namespaces, then pods, then policies).
    std::vector<Object> all() const;
    bool operator==(const ObjectSet&) const = default;

  private:
    std::map<std::string, Namespace> namespaces_;
    std::map<std::pair<std::string, std::string>, Pod> pods_;
    std::map<std::pair<std::string, std::string>, NetworkPolicy> policies_;
};

}  // namespace weft::weave
