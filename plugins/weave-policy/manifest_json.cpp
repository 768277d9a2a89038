// Manifest text to documents: the JSON reader (nlohmann SAX events to Doc).
#include <algorithm>
#include <cstdint>
#include <istream>
#include <vector>

#include "manifest_text.hpp"

namespace weft::weave {
namespace {

/// Where a value sits in a Kubernetes object, as far as weave-policy reads it. The JSON
/// reader builds only what the object readers look at: `kubectl get pods -A -o json` is
/// mostly managedFields, annotations, volumes and container statuses, and building them
/// would take most of the time.
enum class Role : uint8_t {
    Top,         // the value itself
    TopArray,    // a top-level JSON array of objects
    Root,        // an object (or a List)
    Items,       // a List's items
    Metadata,    // metadata
    Spec,        // spec (of a Pod or a NetworkPolicy)
    Containers,  // spec.containers
    Container,   // spec.containers[i]
    Status,      // status
    Keep,        // kept whole
    Skip,        // not read by anyone: not built
};

Role memberRole(Role parent, std::string_view key) {
    auto oneOf = [&](std::initializer_list<std::string_view> keys) {
        return std::find(keys.begin(), keys.end(), key) != keys.end();
    };
    switch (parent) {
        case Role::Root:
            if (key == "metadata")
                return Role::Metadata;
            if (key == "spec")
                return Role::Spec;
            if (key == "status")
                return Role::Status;
            if (key == "items")
                return Role::Items;
            return oneOf({"apiVersion", "kind"}) ? Role::Keep : Role::Skip;
        case Role::Metadata:
            return oneOf({"name", "namespace", "labels"}) ? Role::Keep : Role::Skip;
        case Role::Spec:
            if (key == "containers")
                return Role::Containers;
            return oneOf({"hostNetwork", "podSelector", "policyTypes", "ingress", "egress"})
                       ? Role::Keep
                       : Role::Skip;
        case Role::Container:
            return key == "ports" ? Role::Keep : Role::Skip;
        case Role::Status:
            return oneOf({"phase", "podIP", "podIPs"}) ? Role::Keep : Role::Skip;
        default:
            return Role::Keep;  // a map where a list belongs: kept, so its type is reported
    }
}

Role elementRole(Role parent) {
    switch (parent) {
        case Role::TopArray:
        case Role::Items:
            return Role::Root;
        case Role::Containers:
            return Role::Container;
        default:
            return Role::Keep;
    }
}

/// nlohmann SAX handler building a Doc, like nlohmann's own DOM builder but with a depth
/// limit, duplicate keys refused and unread fields skipped (see Role). After an error it
/// ignores the rest of the value, so the reader can go on with the next one.
class JsonBuilder {
  public:
    using number_integer_t = Doc::number_integer_t;
    using number_unsigned_t = Doc::number_unsigned_t;
    using number_float_t = Doc::number_float_t;
    using string_t = Doc::string_t;
    using binary_t = Doc::binary_t;

    explicit JsonBuilder(const ViewBuf& buf) : buf_(buf) {}

    bool null() { return add(Doc()); }
    bool boolean(bool v) { return add(Doc(v)); }
    bool number_integer(number_integer_t v) { return add(Doc(v)); }
    bool number_unsigned(number_unsigned_t v) { return add(Doc(v)); }
    bool number_float(number_float_t v, const string_t&) { return add(Doc(v)); }
    bool string(string_t& v) {
        if (skipping_ > 0 || !error_.empty())
            return true;
        return add(Doc(std::move(v)));
    }
    bool binary(binary_t&) { return fail("binary value"); }  // not produced by JSON text
    bool start_object(std::size_t) { return open(Doc::value_t::object); }
    bool key(string_t& k) {
        // A copy into key_'s buffer: moving would take the lexer's buffer and make it
        // allocate a new one for every key, most of them in skipped values.
        if (skipping_ == 0)
            key_.assign(k);
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t) { return open(Doc::value_t::array); }
    bool end_array() { return close(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        syntax_ = e.what();
        return false;
    }

    const std::string& syntaxError() const { return syntax_; }
    const std::string& error() const { return error_; }
    size_t errorOffset() const { return errorOffset_; }
    Doc take() { return std::move(root_); }

  private:
    struct Frame {
        Doc value;
        std::string key;  // under which the finished value goes into its parent
        Role role;
    };

    bool fail(std::string message) {
        if (error_.empty()) {
            error_ = std::move(message);
            errorOffset_ = buf_.offset();
        }
        return true;  // keep parsing to the end of the value, ignoring it
    }
    /// The role of the value that comes next.
    Role nextRole(Doc::value_t type) const {
        if (stack_.empty()) {
            if (type == Doc::value_t::object)
                return Role::Root;
            return type == Doc::value_t::array ? Role::TopArray : Role::Top;
        }
        const Frame& parent = stack_.back();
        return parent.value.is_array() ? elementRole(parent.role) : memberRole(parent.role, key_);
    }
    bool open(Doc::value_t type) {
        if (!error_.empty())
            return true;
        if (stack_.size() + skipping_ >= kMaxDocDepth)
            return fail("nested deeper than " + std::to_string(kMaxDocDepth) + " levels");
        Role role = skipping_ > 0 ? Role::Skip : nextRole(type);
        if (role == Role::Skip) {
            ++skipping_;
            return true;
        }
        stack_.push_back({Doc(type), std::move(key_), role});
        return true;
    }
    bool close() {
        if (!error_.empty())
            return true;
        if (skipping_ > 0) {
            --skipping_;
            return true;
        }
        Frame frame = std::move(stack_.back());
        stack_.pop_back();
        key_ = std::move(frame.key);
        return add(std::move(frame.value));
    }
    bool add(Doc&& value) {
        if (!error_.empty() || skipping_ > 0)
            return true;
        if (stack_.empty()) {
            root_ = std::move(value);
            return true;
        }
        Frame& parent = stack_.back();
        if (parent.value.is_array()) {
            parent.value.get_ref<Doc::array_t&>().push_back(std::move(value));
            return true;
        }
        if (memberRole(parent.role, key_) == Role::Skip)
            return true;
        auto& object = parent.value.get_ref<Doc::object_t&>();
        auto [it, inserted] = object.emplace(std::move(key_), std::move(value));
        if (!inserted)
            return fail("duplicate key " + quote(it->first));
        return true;
    }

    const ViewBuf& buf_;
    std::vector<Frame> stack_;
    size_t skipping_ = 0;  // depth inside a skipped value
    std::string key_;
    Doc root_;
    std::string syntax_;
    std::string error_;
    size_t errorOffset_ = 0;
};

/// nlohmann's message without its "[json.exception...] parse error at line 1, column 2: "
/// head: the position it gives counts from the start of the value, ours from the text's.
std::string syntaxMessage(const std::string& what) {
    size_t column = what.find("column ");
    size_t colon = column == std::string::npos ? column : what.find(": ", column);
    std::string_view text = what;
    if (colon != std::string::npos)
        text.remove_prefix(colon + 2);
    return printable(text, 200);
}

/// "line L, column C" of byte offsets that only grow, counting each newline once even when
/// a long stream of values has many errors.
class LineCounter {
  public:
    explicit LineCounter(std::string_view text) : text_(text) {}
    /// Moves to `offset` (never backwards) and returns its 1-based line.
    int line(size_t offset) {
        offset = std::min(offset, text_.size());
        for (; pos_ < offset; ++pos_) {
            if (text_[pos_] == '\n') {
                ++line_;
                lineStart_ = pos_ + 1;
            }
        }
        return static_cast<int>(line_);
    }
    std::string at(size_t offset) {
        line(offset);
        return "line " + std::to_string(line_) + ", column " +
               std::to_string(std::max(offset, lineStart_) - lineStart_ + 1);
    }

  private:
    std::string_view text_;
    size_t pos_ = 0;
    size_t line_ = 1;
    size_t lineStart_ = 0;
};

bool isBlank(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

bool readJson(std::string_view text, const DocumentSink& sink,
              const std::function<void(int line, std::string message)>& firstValueError) {
    ViewBuf buf(text);
    std::istream in(&buf);
    LineCounter lines(text);
    for (int number = 1;; ++number) {
        while (isBlank(buf.sgetc()))
            buf.sbumpc();
        if (buf.sgetc() == std::char_traits<char>::eof())
            return true;
        int startLine = lines.line(buf.offset());
        JsonBuilder builder(buf);
        bool ok = false;
        std::string failure;
        try {
            // strict=false: stop after one value, leaving the stream at the next one.
            ok = Doc::sax_parse(in, &builder, Doc::input_format_t::json, false);
        } catch (const std::exception& e) {
            failure = printable(e.what(), 200);
        }
        if (ok && builder.error().empty()) {
            sink.document(number, startLine, builder.take());
            continue;
        }
        if (ok) {
            std::string where = lines.at(builder.errorOffset());
            sink.error(number, lines.line(builder.errorOffset()), builder.error() + " at " + where);
            continue;
        }
        if (failure.empty())
            failure = syntaxMessage(builder.syntaxError());
        std::string message = "JSON syntax error at " + lines.at(buf.offset()) + ": " + failure;
        int line = lines.line(buf.offset());
        if (number == 1 && firstValueError)
            firstValueError(line, std::move(message));
        else
            sink.error(number, line, std::move(message));
        return false;
    }
}

}  // namespace weft::weave
