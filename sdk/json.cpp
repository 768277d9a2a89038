// A small JSON value: parser (RFC 8259) and printer with stable key order.
#include "weft/json.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace weft {
namespace {

class Parser {
  public:
    explicit Parser(std::string_view t) : t_(t) {}

    Json document() {
        Json v = value();
        ws();
        if (i_ != t_.size())
            fail("trailing characters");
        return v;
    }

  private:
    [[noreturn]] void fail(const std::string& what) {
        throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_));
    }
    void ws() {
        while (i_ < t_.size() &&
               (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t'))
            ++i_;
    }
    bool eat(char c) {
        ws();
        if (i_ < t_.size() && t_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c))
            fail(std::string("expected '") + c + "'");
    }
    bool word(std::string_view w) {
        if (t_.substr(i_, w.size()) == w) {
            i_ += w.size();
            return true;
        }
        return false;
    }

    Json value() {
        ws();
        if (i_ >= t_.size())
            fail("unexpected end");
        char c = t_[i_];
        if (c == '{')
            return object();
        if (c == '[')
            return array();
        if (c == '"')
            return Json(string());
        if (word("true"))
            return Json(true);
        if (word("false"))
            return Json(false);
        if (word("null"))
            return Json(nullptr);
        if (c == '-' || (c >= '0' && c <= '9'))
            return number();
        fail("unexpected character");
    }

    Json object() {
        expect('{');
        Json::Object o;
        if (eat('}'))
            return Json(std::move(o));
        do {
            ws();
            if (i_ >= t_.size() || t_[i_] != '"')
                fail("expected a string key");
            std::string k = string();
            expect(':');
            o.emplace_back(std::move(k), value());
        } while (eat(','));
        expect('}');
        return Json(std::move(o));
    }

    Json array() {
        expect('[');
        Json::Array a;
        if (eat(']'))
            return Json(std::move(a));
        do {
            a.push_back(value());
        } while (eat(','));
        expect(']');
        return Json(std::move(a));
    }

    unsigned hex4() {
        if (i_ + 4 > t_.size())
            fail("short \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = t_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= unsigned(c - 'A' + 10);
            else
                fail("bad \\u escape");
        }
        return v;
    }

    static void utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xc0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += char(0xe0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3f));
            out += char(0x80 | (cp & 0x3f));
        } else {
            out += char(0xf0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3f));
            out += char(0x80 | ((cp >> 6) & 0x3f));
            out += char(0x80 | (cp & 0x3f));
        }
    }

    std::string string() {
        ++i_;  // opening quote
        std::string out;
        while (true) {
            if (i_ >= t_.size())
                fail("unterminated string");
            char c = t_[i_++];
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20)
                fail("control character in string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= t_.size())
                fail("unterminated escape");
            char e = t_[i_++];
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xd800 && cp < 0xdc00) {
                        if (!word("\\u"))
                            fail("lone high surrogate");
                        unsigned lo = hex4();
                        if (lo < 0xdc00 || lo > 0xdfff)
                            fail("bad low surrogate");
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    utf8(out, cp);
                    break;
                }
                default:
                    fail("bad escape");
            }
        }
    }

    Json number() {
        size_t start = i_;
        if (t_[i_] == '-')
            ++i_;
        bool isFloat = false;
        while (i_ < t_.size()) {
            char c = t_[i_];
            if (c >= '0' && c <= '9') {
                ++i_;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                isFloat = true;
                ++i_;
            } else {
                break;
            }
        }
        std::string text(t_.substr(start, i_ - start));
        if (text == "-" || text.empty())
            fail("bad number");
        try {
            size_t used = 0;
            if (!isFloat) {
                long long v = std::stoll(text, &used);
                if (used == text.size())
                    return Json(int64_t(v));
            }
            double d = std::stod(text, &used);
            if (used != text.size())
                fail("bad number");
            return Json(d);
        } catch (const std::logic_error&) {
            fail("bad number");
        }
    }

    std::string_view t_;
    size_t i_ = 0;
};

void escape(std::string& out, const std::string& s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += char(c);
                }
        }
    }
    out += '"';
}

}  // namespace

Json Json::parse(std::string_view text) {
    return Parser(text).document();
}

int64_t Json::asInt() const {
    if (auto* i = std::get_if<int64_t>(&v_))
        return *i;
    double d = std::get<double>(v_);
    if (std::floor(d) != d)
        throw std::runtime_error("JSON: not an integer");
    return int64_t(d);
}

double Json::asDouble() const {
    if (auto* i = std::get_if<int64_t>(&v_))
        return double(*i);
    return std::get<double>(v_);
}

Json& Json::operator[](const std::string& key) {
    if (isNull())
        v_ = Object{};
    auto& o = std::get<Object>(v_);
    for (auto& [k, v] : o) {
        if (k == key)
            return v;
    }
    o.emplace_back(key, Json());
    return o.back().second;
}

const Json& Json::operator[](const std::string& key) const {
    static const Json null;
    if (!isObject())
        return null;
    for (auto& [k, v] : std::get<Object>(v_)) {
        if (k == key)
            return v;
    }
    return null;
}

bool Json::contains(const std::string& key) const {
    if (!isObject())
        return false;
    for (auto& [k, v] : std::get<Object>(v_)) {
        if (k == key)
            return true;
    }
    return false;
}

Json& Json::push(Json v) {
    if (isNull())
        v_ = Array{};
    std::get<Array>(v_).push_back(std::move(v));
    return *this;
}

static void dumpTo(const Json& j, std::string& out, int indent, int depth);

static void newline(std::string& out, int indent, int depth) {
    if (indent < 0)
        return;
    out += '\n';
    out.append(size_t(indent * depth), ' ');
}

static void dumpTo(const Json& j, std::string& out, int indent, int depth) {
    if (j.isNull()) {
        out += "null";
    } else if (j.isBool()) {
        out += j.asBool() ? "true" : "false";
    } else if (j.isInt()) {
        out += std::to_string(j.asInt());
    } else if (j.isNumber()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", j.asDouble());
        out += buf;
    } else if (j.isString()) {
        escape(out, j.asString());
    } else if (j.isArray()) {
        out += '[';
        bool first = true;
        for (auto& v : j.asArray()) {
            if (!first)
                out += ',';
            first = false;
            newline(out, indent, depth + 1);
            dumpTo(v, out, indent, depth + 1);
        }
        if (!j.asArray().empty())
            newline(out, indent, depth);
        out += ']';
    } else {
        out += '{';
        bool first = true;
        for (auto& [k, v] : j.asObject()) {
            if (!first)
                out += ',';
            first = false;
            newline(out, indent, depth + 1);
            escape(out, k);
            out += indent < 0 ? ":" : ": ";
            dumpTo(v, out, indent, depth + 1);
        }
        if (!j.asObject().empty())
            newline(out, indent, depth);
        out += '}';
    }
}

std::string Json::dump(int indent) const {
    std::string out;
    dumpTo(*this, out, indent, 0);
    return out;
}

}  // namespace weft
