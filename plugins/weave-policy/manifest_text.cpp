// Manifest text to documents: the dispatcher (JSON or YAML) and message helpers.
#include "manifest_text.hpp"

#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

namespace weft::weave {

std::string printable(std::string_view text, size_t max) {
    std::string out;
    for (unsigned char c : text) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        if (c < 0x20 || c >= 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string quote(std::string_view text) {
    return '"' + printable(text) + '"';
}

void readDocuments(std::string_view text, const DocumentSink& sink) {
    if (text.starts_with("\xEF\xBB\xBF"))
        text.remove_prefix(3);  // a UTF-8 byte order mark
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || (text[first] != '{' && text[first] != '[')) {
        readYaml(text, sink);
        return;
    }
    std::string jsonError;
    int jsonErrorLine = 0;
    readJson(text, sink, [&](int line, std::string message) {
        jsonErrorLine = line;
        jsonError = std::move(message);
    });
    if (jsonError.empty())
        return;
    // Not JSON from the start: it may be YAML in flow style. Collect what YAML makes of it
    // and keep it only if YAML reads it all, else the JSON error is the useful one.
    struct Event {
        int number;
        int line;
        std::optional<Doc> doc;  // or else an error
        std::string message;
    };
    std::vector<Event> events;
    DocumentSink collect{[&](int n, int line, Doc&& doc) {
                             events.push_back({n, line, std::move(doc), ""});
                         },
                         [&](int n, int line, std::string m) {
                             events.push_back({n, line, std::nullopt, std::move(m)});
                         }};
    if (!readYaml(text, collect)) {
        sink.error(1, jsonErrorLine, std::move(jsonError));
        return;
    }
    for (auto& e : events) {
        if (e.doc)
            sink.document(e.number, e.line, std::move(*e.doc));
        else
            sink.error(e.number, e.line, std::move(e.message));
    }
}

}  // namespace weft::weave
