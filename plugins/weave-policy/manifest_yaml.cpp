// Manifest text to documents: the YAML reader (yaml-cpp events to Doc, typed as go-yaml v2).
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <istream>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "manifest_text.hpp"

namespace weft::weave {
namespace {

const char* const kStrTag = "tag:yaml.org,2002:str";
const char* const kIntTag = "tag:yaml.org,2002:int";
const char* const kFloatTag = "tag:yaml.org,2002:float";
const char* const kBoolTag = "tag:yaml.org,2002:bool";
const char* const kNullTag = "tag:yaml.org,2002:null";

/// Aliases may copy at most this many nodes into one document ("billion laughs").
constexpr size_t kMaxAliasNodes = 1'000'000;

bool oneOf(const std::string& s, std::initializer_list<const char*> words) {
    for (const char* w : words)
        if (s == w)
            return true;
    return false;
}

/// An integer as go-yaml v2 reads one: a sign, then decimal, 0x hex, 0o or leading-0 octal,
/// or 0b binary, underscores ignored. Larger than 64 bits: not an integer (then a float).
std::optional<Doc> yamlInteger(std::string s) {
    std::erase(s, '_');
    std::string_view v = s;
    bool negative = false;
    if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
        negative = v[0] == '-';
        v.remove_prefix(1);
    }
    int base = 10;
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        base = 16;
        v.remove_prefix(2);
    } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) {
        base = 8;
        v.remove_prefix(2);
    } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'B')) {
        base = 2;
        v.remove_prefix(2);
    } else if (v.size() > 1 && v[0] == '0') {
        base = 8;
    }
    if (v.empty() || v[0] == '-' || v[0] == '+')
        return std::nullopt;
    uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), magnitude, base);
    if (ec != std::errc() || end != v.data() + v.size())
        return std::nullopt;
    constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;  // of INT64_MIN
    if (negative) {
        if (magnitude > kMinMagnitude)
            return std::nullopt;
        return Doc(static_cast<int64_t>(0 - magnitude));
    }
    if (magnitude < kMinMagnitude)
        return Doc(static_cast<int64_t>(magnitude));
    return Doc(magnitude);
}

/// A float as go-yaml v2 reads one: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?,
/// or .inf/.nan in their three spellings.
std::optional<Doc> yamlFloat(std::string s) {
    if (oneOf(s, {".nan", ".NaN", ".NAN"}))
        return Doc(std::numeric_limits<double>::quiet_NaN());
    if (oneOf(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}))
        return Doc(std::numeric_limits<double>::infinity());
    if (oneOf(s, {"-.inf", "-.Inf", "-.INF"}))
        return Doc(-std::numeric_limits<double>::infinity());
    std::erase(s, '_');
    size_t i = 0;
    auto digits = [&] {
        size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i;
        return i - start;
    };
    if (i < s.size() && (s[i] == '-' || s[i] == '+'))
        ++i;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (digits() == 0)
            return std::nullopt;
    } else {
        if (digits() == 0)
            return std::nullopt;
        if (i < s.size() && s[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+'))
            ++i;
        if (digits() == 0)
            return std::nullopt;
    }
    if (i != s.size())
        return std::nullopt;
    return Doc(std::strtod(s.c_str(), nullptr));
}

/// A plain (unquoted) scalar, typed as go-yaml v2 types it — except that y/n, yes/no and
/// on/off stay strings: the upstream NetworkPolicy tests name their namespaces x, y and z, and
/// `namespace: y` read as a boolean would be refused (kubectl does refuse it).
Doc plainScalar(const std::string& s) {
    if (oneOf(s, {"", "~", "null", "Null", "NULL"}))
        return Doc();
    if (oneOf(s, {"true", "True", "TRUE"}))
        return Doc(true);
    if (oneOf(s, {"false", "False", "FALSE"}))
        return Doc(false);
    if (auto i = yamlInteger(s))
        return *i;
    if (auto f = yamlFloat(s))
        return *f;
    return Doc(s);
}

std::string lineOf(const YAML::Mark& mark) {
    if (mark.is_null())
        return "";
    return " at line " + std::to_string(mark.line + 1) + ", column " +
           std::to_string(mark.column + 1);
}

/// yaml-cpp events to one Doc. After the first error every further event is ignored; the
/// parser still reads the document to its end, so the next one can be read.
class YamlBuilder final : public YAML::EventHandler {
  public:
    void OnDocumentStart(const YAML::Mark& mark) override {
        line_ = mark.line + 1;
        start_ = mark;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        scalar(mark, anchor, "null", Doc(), false);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        if (!error_.empty())
            return;
        scalar(mark, anchor, value, typed(mark, tag, value), tag == "?");
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, anchor, Doc::value_t::array);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, anchor, Doc::value_t::object);
    }
    void OnMapEnd() override { close(); }

    const std::string& error() const { return error_; }
    /// Where the document starts, or where its error is.
    int line() const { return line_; }
    const YAML::Mark& start() const { return start_; }
    Doc take() { return std::move(root_); }

  private:
    struct Frame {
        Doc value;
        YAML::anchor_t anchor = 0;
        size_t firstNode = 0;            // nodes_ when opened: the size of an anchored value
        std::optional<std::string> key;  // in a map, the key waiting for its value
        YAML::Mark keyMark;
        bool mergeKey = false;  // the waiting key is the merge key `<<`
        YAML::Mark mergeMark;
        std::vector<Doc> merges;
    };
    struct Anchored {
        Doc value;
        size_t nodes = 0;
    };

    void fail(std::string message, const YAML::Mark& mark) {
        if (!error_.empty())
            return;
        error_ = std::move(message) + lineOf(mark);
        if (!mark.is_null())
            line_ = mark.line + 1;
    }
    bool expectingKey() const {
        return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().key;
    }

    Doc typed(const YAML::Mark& mark, const std::string& tag, const std::string& value);
    void scalar(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& text, Doc&& value,
                bool plain);
    void open(const YAML::Mark& mark, YAML::anchor_t anchor, Doc::value_t type);
    void close();
    void place(Doc&& value);
    void merge(Frame& frame);

    std::vector<Frame> stack_;
    Doc root_;
    std::map<YAML::anchor_t, Anchored> anchors_;
    size_t nodes_ = 0;
    size_t aliasNodes_ = 0;
    std::string error_;
    int line_ = 0;
    YAML::Mark start_ = YAML::Mark::null_mark();
};

Doc YamlBuilder::typed(const YAML::Mark& mark, const std::string& tag, const std::string& value) {
    if (tag == "?")
        return plainScalar(value);
    if (tag == kStrTag || tag == "!")
        return Doc(value);
    // Explicit core tags: the value must have that type.
    Doc doc = plainScalar(value);
    bool fits = (tag == kIntTag && doc.is_number_integer()) ||
                (tag == kFloatTag && doc.is_number()) || (tag == kBoolTag && doc.is_boolean()) ||
                (tag == kNullTag && doc.is_null());
    if (tag == kIntTag || tag == kFloatTag || tag == kBoolTag || tag == kNullTag) {
        if (!fits)
            fail("value " + quote(value) + " does not fit its tag " + printable(tag), mark);
        return doc;
    }
    return Doc(value);  // another tag (!!binary, a local tag): its text
}

void YamlBuilder::scalar(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& text,
                         Doc&& value, bool plain) {
    if (!error_.empty())
        return;
    ++nodes_;
    if (anchor != 0)
        anchors_[anchor] = {value, 1};
    if (expectingKey()) {
        // Keys keep their text (`80:` is the key "80"), since JSON keys are strings.
        Frame& frame = stack_.back();
        frame.key = text;
        frame.keyMark = mark;
        frame.mergeKey = plain && text == "<<";
        if (frame.mergeKey)
            frame.mergeMark = mark;
        return;
    }
    place(std::move(value));
}

void YamlBuilder::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (!error_.empty())
        return;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end())
        return fail("unknown alias", mark);  // yaml-cpp checks this
    aliasNodes_ += it->second.nodes;
    nodes_ += it->second.nodes;  // so an anchored value holding this alias has its full size
    if (aliasNodes_ > kMaxAliasNodes)
        return fail("aliases expand to more than " + std::to_string(kMaxAliasNodes) + " nodes",
                    mark);
    const Doc& value = it->second.value;
    if (expectingKey()) {
        if (!value.is_primitive())
            return fail("a map key must be a scalar", mark);
        Frame& frame = stack_.back();
        frame.key = value.is_string() ? value.get<std::string>() : value.dump();
        frame.keyMark = mark;
        frame.mergeKey = false;
        return;
    }
    place(Doc(value));
}

void YamlBuilder::open(const YAML::Mark& mark, YAML::anchor_t anchor, Doc::value_t type) {
    if (!error_.empty())
        return;
    if (expectingKey())
        return fail("a map key must be a scalar", mark);
    if (stack_.size() >= kMaxDocDepth)
        return fail("nested deeper than " + std::to_string(kMaxDocDepth) + " levels", mark);
    ++nodes_;
    stack_.push_back({Doc(type), anchor, nodes_ - 1, std::nullopt, {}, false, {}, {}});
}

void YamlBuilder::close() {
    if (!error_.empty())
        return;
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (!frame.merges.empty())
        merge(frame);
    if (frame.anchor != 0)
        anchors_[frame.anchor] = {frame.value, nodes_ - frame.firstNode};
    place(std::move(frame.value));
}

/// YAML 1.1 merge keys: the merged maps' entries that the map does not set itself, earlier
/// merged maps first.
void YamlBuilder::merge(Frame& frame) {
    auto& object = frame.value.get_ref<Doc::object_t&>();
    auto mergeMap = [&](const Doc& map) {
        if (!map.is_object())
            return fail("the value of a merge key << must be a map", frame.mergeMark);
        for (const auto& [k, v] : map.items())
            object.emplace(k, v);  // never replaces: the map's own keys win
    };
    for (const Doc& source : frame.merges) {
        if (!source.is_array()) {
            mergeMap(source);
            continue;
        }
        for (const Doc& map : source)
            mergeMap(map);
    }
}

void YamlBuilder::place(Doc&& value) {
    if (!error_.empty())
        return;
    if (stack_.empty()) {
        root_ = std::move(value);
        return;
    }
    Frame& parent = stack_.back();
    if (parent.value.is_array()) {
        parent.value.get_ref<Doc::array_t&>().push_back(std::move(value));
        return;
    }
    std::string key = std::move(*parent.key);
    parent.key.reset();
    if (parent.mergeKey) {
        parent.merges.push_back(std::move(value));
        return;
    }
    auto& object = parent.value.get_ref<Doc::object_t&>();
    if (!object.emplace(key, std::move(value)).second)
        fail("duplicate key " + quote(key), parent.keyMark);
}

}  // namespace

bool readYaml(std::string_view text, const DocumentSink& sink) {
    ViewBuf buf(text);
    std::istream in(&buf);
    int number = 0;
    int lastStart = -1;
    try {
        YAML::Parser parser(in);
        while (true) {
            YamlBuilder builder;
            ++number;
            if (!parser.HandleNextDocument(builder))
                return true;
            // yaml-cpp 0.7 returns an empty document forever, reading nothing, on a stray
            // flow token such as a ',' at the top level: a document that starts where the
            // previous one started is that.
            if (builder.start().pos == lastStart) {
                size_t at = static_cast<size_t>(std::max(lastStart, 0));
                std::string what = at < text.size() ? quote(text.substr(at, 1)) : "end";
                sink.error(number - 1, builder.line(),
                           "YAML syntax error" + lineOf(builder.start()) + ": unexpected " + what);
                return false;
            }
            lastStart = builder.start().pos;
            if (!builder.error().empty())
                sink.error(number, builder.line(), builder.error());
            else if (Doc doc = builder.take(); !doc.is_null())
                sink.document(number, builder.line(), std::move(doc));
        }
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp's own guard, past ours: the events stopped coming at our limit.
        sink.error(
            number, e.mark.is_null() ? 0 : e.mark.line + 1,
            "nested deeper than " + std::to_string(kMaxDocDepth) + " levels" + lineOf(e.mark));
    } catch (const YAML::Exception& e) {
        sink.error(number, e.mark.is_null() ? 0 : e.mark.line + 1,
                   "YAML syntax error" + lineOf(e.mark) + ": " + printable(e.msg, 200));
    } catch (const std::exception& e) {
        sink.error(number, 0, "YAML error: " + printable(e.what(), 200));
    }
    return false;
}

}  // namespace weft::weave
