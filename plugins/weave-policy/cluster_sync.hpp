// weave-policy: its objects in the cluster store ([Cluster] in weftd.conf, weft/cluster.hpp).
//
// Every node writes its local objects (weave-policy.d/ files and D-Bus Apply) to the store and
// enforces the union of everything the store holds. The layout, shared by every node:
//   key   "objects/<Kind>/<namespace, or _ for a Namespace>/<name>"
//   value the object as a Kubernetes manifest (toManifest, compact JSON)
// Pods live under this node's lease (they go with the node that has them); Namespaces and
// NetworkPolicies are Persistent (cluster-wide until deleted).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "object_merge.hpp"
#include "object_set.hpp"
#include "weft/cluster.hpp"
#include "weft/plugin.hpp"

namespace weft::weave {

class ClusterObjects {
  public:
    using Warn = std::function<void(const std::string&)>;

    /// "objects/Pod/x/a", "objects/Namespace/_/x".
    static std::string recordKey(const ObjectKey& key);
    /// The object a record key names; nullopt (and `why`) for a key not of that form.
    static std::optional<ObjectKey> parseRecordKey(const std::string& key, std::string& why);
    static RecordLifetime lifetimeOf(Kind kind);

    /// Makes this node's records match `local`: puts what is new or changed since the last
    /// call, deletes what it put before and `local` no longer has.
    void publish(Host& host, const ObjectSet& local, const Warn& warn);
    /// Deletes the record of `key`, whoever wrote it, and forgets the store's copy at once
    /// (the watch's delete follows). True when the store had one.
    bool erase(Host& host, const ObjectKey& key);

    /// Takes in a watch batch. An initial batch replaces the store's objects. A record whose
    /// key or value is bad is warned about by its key and ignored; the last good version of
    /// its object stays. True when some store object changed.
    bool receive(const ClusterBatch& batch, const Warn& warn);
    /// The Namespaces and NetworkPolicies this node published whose records someone else
    /// deleted (a Delete on another node), since the last call; they are forgotten as
    /// published. Pods are left out: their records go with this node's lease and come back
    /// under the next one.
    std::vector<ObjectKey> takeDeletedElsewhere();

    /// Adds the store's objects to `objects`, which holds the local ones: a local object
    /// wins on the same key. Oldest record first, so of two pods claiming one address the
    /// later is left out; each left out is described in `refused` by both records' keys.
    void overlay(ObjectSet& objects, AddressOwners& owners,
                 std::vector<std::string>& refused) const;

    bool has(const ObjectKey& key) const { return store_.count(key) > 0; }
    size_t size() const { return store_.size(); }

    /// What the store held when last seen, kept across a restart (in the runtime directory):
    /// a node that starts while the store is unreachable enforces it until the store answers.
    void loadCache(const std::filesystem::path& path, const Warn& warn);
    void saveCache(const std::filesystem::path& path, const Warn& warn) const;

  private:
    struct Record {
        Object object;
        std::string value;
        uint64_t order = 0;  ///< when the key first arrived: decides address clashes
    };
    /// Parses and stores one record; the key it names (even when the value was bad) or
    /// nullopt when the key itself is bad. `changed` is set when the store object changed.
    std::optional<ObjectKey> put(const std::string& key, const std::string& value, const Warn& warn,
                                 bool& changed);

    std::map<ObjectKey, Record> store_;
    std::map<ObjectKey, Object> published_;  ///< what this node put, as it put it
    uint64_t nextOrder_ = 0;
    std::vector<ObjectKey> deletedElsewhere_;
};

}  // namespace weft::weave
