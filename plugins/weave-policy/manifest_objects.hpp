// weave-policy: reading Namespaces, Pods and NetworkPolicies out of documents.
//
// Each reader checks its object as the API server would (manifest_checks.hpp) and records
// every problem in the FieldReader; the caller keeps the object only when there is none.
#pragma once

#include <string>

#include "manifest_fields.hpp"
#include "objects.hpp"

namespace weft::weave {

/// metadata.name and, for namespaced kinds, metadata.namespace ("default" when absent).
struct ObjectMeta {
    std::string ns;
    std::string name;  ///< as written, even when invalid, so errors can name the object
};

/// Reads and checks metadata.name (an RFC 1123 label for a Namespace, a subdomain
/// otherwise) and metadata.namespace.
ObjectMeta readMeta(const Doc& doc, Kind kind, FieldReader& f);
/// A map of label keys to values (metadata.labels, matchLabels); null values read as "".
Labels readLabels(const Doc* value, const std::string& field, FieldReader& f);
/// A metav1.LabelSelector; requirement values sorted and deduplicated.
LabelSelector readSelector(const Doc& value, const std::string& field, FieldReader& f);

Namespace readNamespace(const Doc& doc, const ObjectMeta& meta, FieldReader& f);
/// A pod's IPs are left out when it uses the host's network (they are the node's, not the
/// pod's) or has finished (phase Succeeded or Failed: its IPs may already be another pod's),
/// as the other NetworkPolicy implementations do.
Pod readPod(const Doc& doc, const ObjectMeta& meta, FieldReader& f);
/// policyTypes defaulted as the API server does: Ingress always, Egress when spec.egress
/// has rules, unless policyTypes is given.
NetworkPolicy readNetworkPolicy(const Doc& doc, const ObjectMeta& meta, FieldReader& f);

}  // namespace weft::weave
