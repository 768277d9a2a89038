// parseManifest: documents to objects — Lists, kinds, apiVersions, and the error list.
#include "manifest.hpp"

#include <cctype>
#include <optional>

#include "manifest_fields.hpp"
#include "manifest_objects.hpp"
#include "manifest_text.hpp"

namespace weft::weave {
namespace {

/// What a typed list (PodList, ...) tells of its items, which the API server sends without
/// kind and apiVersion.
struct ItemType {
    const char* kind;
    const char* apiVersion;
};

struct ListKind {
    const char* kind;
    const char* apiVersion;
    std::optional<ItemType> items;
};

const ListKind kListKinds[] = {
    {"List", "v1", std::nullopt},
    {"PodList", "v1", ItemType{"Pod", "v1"}},
    {"NamespaceList", "v1", ItemType{"Namespace", "v1"}},
    {"NetworkPolicyList", "networking.k8s.io/v1",
     ItemType{"NetworkPolicy", "networking.k8s.io/v1"}},
};

const char* apiVersionOf(Kind kind) {
    return kind == Kind::NetworkPolicy ? "networking.k8s.io/v1" : "v1";
}

std::optional<Kind> keptKind(const std::string& kind) {
    if (kind == "Namespace")
        return Kind::Namespace;
    if (kind == "Pod")
        return Kind::Pod;
    if (kind == "NetworkPolicy")
        return Kind::NetworkPolicy;
    return std::nullopt;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

class ManifestReader {
  public:
    explicit ManifestReader(const std::string& origin) : origin_(origin) {}

    void document(int number, int line, const Doc& doc) {
        line_ = line;
        if (!doc.is_array())
            return safeValue(number, doc, "", false);
        for (size_t i = 0; i < doc.size(); ++i)
            safeValue(number, doc[i], fieldIndex("", i), true);
    }

    /// Errors of objects carry their document's line: the objects of a List share it.
    void error(int number, int line, std::string object, std::string field, std::string message) {
        if (out_.errors.size() >= kMaxManifestErrors) {
            ++dropped_;
            return;
        }
        out_.errors.push_back(
            {origin_, number, line, std::move(object), std::move(field), std::move(message)});
    }

    ParsedManifest finish() {
        if (dropped_ > 0)
            out_.errors.push_back(
                {origin_, 0, 0, "", "", "... and " + std::to_string(dropped_) + " more errors"});
        return std::move(out_);
    }

  private:
    /// value(), where an exception (a reader bug, not bad input) refuses only that value.
    void safeValue(int number, const Doc& doc, const std::string& position, bool inList) {
        try {
            value(number, doc, position, nullptr, inList);
        } catch (const std::exception& e) {
            error(number, line_, "", position,
                  std::string("unexpected error: ") + printable(e.what(), 200));
        }
    }

    /// One object (or a List of them) at `position` ("items[3]", "" for a whole document).
    void value(int number, const Doc& doc, const std::string& position, const ItemType* type,
               bool inList) {
        if (!doc.is_object()) {
            error(number, line_, "", position,
                  std::string("must be a Kubernetes object (a map), not ") + typeName(doc));
            return;
        }
        FieldReader f;
        std::optional<std::string> kind = f.string(FieldReader::member(&doc, "kind"), "kind");
        std::optional<std::string> apiVersion =
            f.string(FieldReader::member(&doc, "apiVersion"), "apiVersion");
        if (type != nullptr && !kind && f.ok())
            kind = type->kind;
        if (type != nullptr && !apiVersion && f.ok())
            apiVersion = type->apiVersion;
        if (!kind && f.ok())
            f.fail("kind", "required value");
        if (!f.ok())
            return report(number, "", position, f);
        for (const ListKind& list : kListKinds) {
            if (*kind == list.kind)
                return readList(number, doc, position, list, apiVersion, inList);
        }
        if (std::optional<Kind> k = keptKind(*kind))
            return readObject(number, doc, position, *k, apiVersion);
        for (const char* known : {"Namespace", "Pod", "NetworkPolicy", "List"}) {
            if (equalsIgnoringCase(*kind, known)) {
                f.fail("kind",
                       "unknown kind " + quote(*kind) + ", did you mean \"" + known + "\"?");
                return report(number, "", position, f);
            }
        }
        ignore(doc, *kind);
    }

    void readList(int number, const Doc& doc, const std::string& position, const ListKind& list,
                  const std::optional<std::string>& apiVersion, bool inList) {
        FieldReader f;
        if (inList)
            f.fail("kind", std::string("a ") + list.kind + " may not hold another list");
        if (apiVersion != list.apiVersion)
            f.fail("apiVersion", "must be " + std::string(list.apiVersion) + " for a " + list.kind +
                                     ", not " + quote(apiVersion.value_or("")));
        const Doc* items = f.list(FieldReader::member(&doc, "items"), "items");
        if (!f.ok())
            return report(number, "", position, f);
        const ItemType* type = list.items ? &*list.items : nullptr;
        for (size_t i = 0; items != nullptr && i < items->size(); ++i)
            value(number, (*items)[i], fieldIndex(fieldPath(position, "items"), i), type, true);
    }

    void readObject(int number, const Doc& doc, const std::string& position, Kind kind,
                    const std::optional<std::string>& apiVersion) {
        FieldReader f;
        std::string label;
        try {
            ObjectMeta meta = readMeta(doc, kind, f);
            if (!meta.name.empty())
                label = ObjectKey{kind, printable(meta.ns), printable(meta.name)}.str();
            if (!apiVersion)
                f.fail("apiVersion", "required value");
            else if (*apiVersion != apiVersionOf(kind))
                f.fail("apiVersion", "must be " + std::string(apiVersionOf(kind)) + " for a " +
                                         kindName(kind) + ", not " + quote(*apiVersion));
            std::optional<Object> object;
            switch (kind) {
                case Kind::Namespace:
                    object = readNamespace(doc, meta, f);
                    break;
                case Kind::Pod:
                    object = readPod(doc, meta, f);
                    break;
                case Kind::NetworkPolicy:
                    object = readNetworkPolicy(doc, meta, f);
                    break;
            }
            if (f.ok()) {
                out_.objects.push_back(std::move(*object));
                return;
            }
        } catch (const std::exception& e) {
            // A reader bug, not bad input: still only this object is refused.
            f.fail("", std::string("unexpected error: ") + printable(e.what(), 200));
        }
        report(number, label, position, f);
    }

    /// Each issue as an error; an object without a usable name is named by its position.
    void report(int number, const std::string& label, const std::string& position,
                const FieldReader& f) {
        for (const FieldIssue& issue : f.issues()) {
            std::string field = label.empty() ? fieldPath(position, issue.field) : issue.field;
            if (label.empty() && issue.field.empty())
                field = position;
            error(number, line_, label, std::move(field), issue.message);
        }
    }

    void ignore(const Doc& doc, const std::string& kind) {
        const Doc* metadata = FieldReader::member(&doc, "metadata");
        const Doc* ns = FieldReader::member(metadata, "namespace");
        const Doc* name = FieldReader::member(metadata, "name");
        std::string text = printable(kind) + ' ';
        if (ns != nullptr && ns->is_string())
            text += printable(ns->get<std::string>()) + '/';
        text += name != nullptr && name->is_string() ? printable(name->get<std::string>()) : "?";
        out_.ignored.push_back(std::move(text));
    }

    const std::string& origin_;
    int line_ = 0;  // of the document being read
    ParsedManifest out_;
    size_t dropped_ = 0;
};

}  // namespace

std::string ManifestError::str() const {
    std::string text = origin;
    if (document > 0)
        text += ": document " + std::to_string(document);
    if (!object.empty())
        text += ": " + object;
    if (!field.empty())
        text += ": " + field;
    return text + ": " + message;
}

ParsedManifest parseManifest(std::string_view text, const std::string& origin) {
    ManifestReader reader(origin);
    try {
        readDocuments(text, {[&](int n, int line, Doc&& doc) { reader.document(n, line, doc); },
                             [&](int n, int line, std::string message) {
                                 reader.error(n, line, "", "", std::move(message));
                             }});
    } catch (const std::exception& e) {
        // Out of memory, most likely: what was read so far stays, with this error.
        reader.error(0, 0, "", "", std::string("cannot read the manifest: ") + e.what());
    }
    return reader.finish();
}

}  // namespace weft::weave
