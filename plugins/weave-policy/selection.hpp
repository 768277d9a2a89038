// weave-policy: a selection of pods (what a policy targets, or one of its peers) and the
// names the compiler gives the nftables objects built from policies.
#pragma once

#include <optional>
#include <string>

#include "object_set.hpp"

namespace weft::weave {

/// Pods picked by a pod selector, either within one namespace or within every namespace a
/// namespace selector picks. Equal selections share one pair of address sets.
struct Selection {
    std::optional<std::string> ns;            ///< pods of this namespace only, or
    std::optional<LabelSelector> nsSelector;  ///< pods of the namespaces it picks
    LabelSelector podSelector;                ///< within those; empty picks all
    auto operator<=>(const Selection&) const = default;
    /// A stable text form, "ns=x;pod=app=web" style: the hash input of set names.
    std::string text() const;
};

/// The labels a namespace is matched with: its own plus the one the API server adds to
/// every namespace, kubernetes.io/metadata.name=<name>.
Labels namespaceMatchLabels(const ObjectSet& objects, const std::string& ns);

bool selects(const Selection& selection, const ObjectSet& objects, const Pod& pod);

/// Short stable hex digest (FNV-1a 64) of a text, for nftables names.
std::string digest(const std::string& text, size_t hexDigits = 12);

/// A chain or set name from readable parts, kept under nftables' 255-byte limit: parts that
/// would make it too long are cut and a digest of the whole is appended.
std::string nftName(const std::string& prefix, const std::string& readable);

}  // namespace weft::weave
