// weave-policy: manifest text (YAML or JSON) to generic JSON documents.
//
// The first step of parseManifest: it only splits and converts text, knowing nothing of
// Kubernetes. YAML plain scalars are typed much as Kubernetes' YAML reader (go-yaml v2,
// YAML 1.1) types them — `80` and `0x50` are numbers, `true` a boolean, `~` null — while quoted
// scalars stay strings, so what reaches the object readers is what the API server would
// receive. One leniency: y/n, yes/no and on/off stay strings (see plainScalar).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <streambuf>
#include <string>
#include <string_view>

namespace weft::weave {

/// A document as read. nlohmann::json (std::map objects), not the ordered weft::Json: its
/// key lookup is logarithmic, so an object with a million keys cannot stall the reader.
using Doc = nlohmann::json;

/// Deepest nesting of maps and sequences accepted; deeper documents are refused (the
/// deepest field weave-policy reads, a requirement's values in a List item, is 12 deep).
inline constexpr size_t kMaxDocDepth = 64;

/// Receives the documents of a text in order. `number` is 1-based: the YAML document, or
/// the JSON value in a stream of concatenated JSON values; `line` (1-based) is where the
/// document starts, or for an error where the error is (0 when unknown).
struct DocumentSink {
    std::function<void(int number, int line, Doc&& doc)> document;
    /// A document that could not be read (syntax, nesting, duplicate key); the message
    /// names the line too. Reading stops after a syntax error.
    std::function<void(int number, int line, std::string message)> error;
};

/// Reads `text`: JSON (first non-blank character `{` or `[`, one value or several
/// concatenated, e.g. `jq -c` output) or else YAML (one or more documents). JSON text that
/// is not valid JSON but valid YAML (a flow mapping such as `{a: 1}`) is read as YAML.
/// Empty documents are skipped but counted. Never throws for bad input.
void readDocuments(std::string_view text, const DocumentSink& sink);

/// The YAML reader alone; returns false when a syntax error stopped it (reported to sink).
bool readYaml(std::string_view text, const DocumentSink& sink);

/// The JSON reader alone; returns false when a syntax error stopped it. A syntax error in
/// the first value goes to `firstValueError` instead of `sink.error`, when that is set, so
/// that readDocuments can try YAML before reporting it.
bool readJson(std::string_view text, const DocumentSink& sink,
              const std::function<void(int line, std::string message)>& firstValueError);

/// `text` for an error message: quoted, at most ~64 bytes, control and non-ASCII bytes as
/// \xNN, so a message stays short and valid UTF-8 whatever the manifest held.
std::string quote(std::string_view text);
/// Like quote() but without the quotes (for a map key inside a field path).
std::string printable(std::string_view text, size_t max = 64);

/// An input stream buffer over a string_view, so yaml-cpp and nlohmann read the caller's
/// text in place (a `kubectl get -o json` of a large cluster is tens of megabytes).
class ViewBuf : public std::streambuf {
  public:
    explicit ViewBuf(std::string_view text) {
        // The get area is never written through: const_cast only satisfies setg's signature.
        char* begin = const_cast<char*>(text.data());
        setg(begin, begin, begin + text.size());
    }
    /// Bytes consumed so far.
    size_t offset() const { return static_cast<size_t>(gptr() - eback()); }
};

}  // namespace weft::weave
