// weave-policy: Kubernetes manifests (YAML or JSON) to objects.
//
// Reads what `kubectl get -o json|yaml` prints and what users write: one object, several YAML
// documents, a `kind: List` (or a JSON array) of items. Namespaces, Pods and NetworkPolicies
// are kept; objects of other kinds are listed in `ignored`. Every object is checked as the API
// server would check it; a bad object becomes an error naming the object and the field and is
// left out of `objects` (the caller decides whether to apply the rest: D-Bus Apply does not).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "objects.hpp"
#include "weft/json.hpp"

namespace weft::weave {

/// One refused object or document.
struct ManifestError {
    std::string origin;  ///< file name, or "manifest" for D-Bus text
    int document = 0;    ///< 1-based YAML document (or JSON value) number
    int line = 0;        ///< 1-based line where the document (or the error) is, 0 if unknown
    std::string object;  ///< "NetworkPolicy x/allow-80", or "" when it has no usable name
    std::string field;   ///< "spec.ingress[0].ports[1].port", or "" for the whole document
    std::string message;
    /// "x.yaml: document 2: NetworkPolicy x/allow-80: spec.ingress[0].ports[1].port: ..."
    std::string str() const;
};

struct ParsedManifest {
    std::vector<Object> objects;
    std::vector<ManifestError> errors;
    std::vector<std::string> ignored;  ///< "Service x/web": kinds weave-policy does not read
};

/// parseManifest lists at most this many errors, then one "... and N more errors" (document
/// 0), so a large garbage manifest cannot make a huge reply.
inline constexpr size_t kMaxManifestErrors = 100;

/// Parses manifest text; never throws on bad input (syntax errors become errors too).
ParsedManifest parseManifest(std::string_view text, const std::string& origin);

/// An object as a Kubernetes manifest (apiVersion, kind, metadata, spec/status), holding
/// only the fields weave-policy reads. parseManifest(toManifest(o)) gives o back.
Json toManifest(const Object& object);

}  // namespace weft::weave
