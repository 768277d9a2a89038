#include "schema_validator.hpp"

#include <algorithm>
#include <cctype>

#include "value_parser.hpp"

namespace weft::config {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

// Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions).
size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

class Merger {
  public:
    Merger(const Schema& schema, std::vector<ConfigError>& errors)
        : schema_(schema), errors_(errors) {}

    void file(const std::string& name, const RawFile& raw) {
        config_.files.push_back(name);
        // Indices, not pointers: opening a section may grow config_.sections.
        std::vector<int> opened;
        for (auto& s : raw.sections)
            opened.push_back(open(s));
        for (auto& a : raw.assignments) {
            if (a.section < 0 || opened[size_t(a.section)] < 0)
                continue;  // already reported
            assign(config_.sections[size_t(opened[size_t(a.section)])], a);
        }
    }

    Config finish(const std::string& mainName) {
        for (auto& spec : schema_.sections) {
            if (!spec.named && !config_.section(spec.name)) {
                Section s;
                s.name = spec.name;
                s.where = Location{mainName, 0};
                config_.sections.push_back(s);
            }
        }
        for (auto& s : config_.sections)
            defaults(s);
        return std::move(config_);
    }

  private:
    const SectionSpec* spec(const std::string& name) const {
        for (auto& s : schema_.sections) {
            if (s.name == name)
                return &s;
        }
        return nullptr;
    }

    void error(const Location& where, const std::string& section, const std::string& key,
               const std::string& reason) {
        errors_.push_back(ConfigError{where, section, key, reason});
    }

    int open(const RawSection& raw) {
        std::string header = raw.id.empty() ? raw.name : raw.name + " " + raw.id;
        const SectionSpec* sp = spec(raw.name);
        if (!sp) {
            std::vector<std::string> names;
            for (auto& s : schema_.sections)
                names.push_back(s.name);
            auto hint = suggest(raw.name, names);
            error(raw.where, header, "",
                  "unknown section '" + raw.name + "'" +
                      (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
            return -1;
        }
        if (sp->named && raw.id.empty()) {
            error(raw.where, header, "", "section needs a name: [" + raw.name + " NAME]");
            return -1;
        }
        if (!sp->named && !raw.id.empty()) {
            error(raw.where, header, "", "section [" + raw.name + "] takes no name");
            return -1;
        }
        if (sp->named && !std::all_of(raw.id.begin(), raw.id.end(), [](unsigned char c) {
                return std::isalnum(c) || c == '_' || c == '.' || c == '-';
            })) {
            error(raw.where, header, "",
                  "'" + raw.id + "' is not a valid name (letters, digits, _ . -)");
            return -1;
        }
        for (size_t i = 0; i < config_.sections.size(); ++i) {
            auto& s = config_.sections[i];
            if (s.name == raw.name && s.id == raw.id)
                return int(i);  // merged across files
        }
        Section s;
        s.name = raw.name;
        s.id = raw.id;
        s.where = raw.where;
        config_.sections.push_back(s);
        return int(config_.sections.size() - 1);
    }

    std::vector<Setting>& slot(Section& s, const std::string& key) {
        for (auto& [k, v] : s.values) {
            if (k == key)
                return v;
        }
        s.values.emplace_back(key, std::vector<Setting>{});
        return s.values.back().second;
    }

    void assign(Section& s, const RawAssignment& a) {
        const SectionSpec* sp = spec(s.name);
        std::string header = s.id.empty() ? s.name : s.name + " " + s.id;
        auto it = std::find_if(sp->keys.begin(), sp->keys.end(),
                               [&](auto& k) { return k.name == a.key; });
        if (it == sp->keys.end()) {
            std::vector<std::string> keys;
            for (auto& k : sp->keys)
                keys.push_back(k.name);
            auto hint = suggest(a.key, keys);
            error(a.where, header, a.key,
                  "unknown key '" + a.key + "'" +
                      (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
            return;
        }
        auto& values = slot(s, a.key);
        if (a.value.empty()) {  // "Key=" resets a list, or unsets a single key (back to default)
            values.clear();
            return;
        }
        std::vector<std::string> parts{a.value};
        if (it->repeated && splitsOnWhitespace(it->type)) {
            parts.clear();
            size_t i = 0;
            while (i < a.value.size()) {
                size_t j = a.value.find_first_of(" \t", i);
                if (j == std::string::npos)
                    j = a.value.size();
                if (j > i)
                    parts.push_back(a.value.substr(i, j - i));
                i = j + 1;
            }
        }
        if (!it->repeated)
            values.clear();
        for (auto& part : parts) {
            auto r = parseValue(*it, part);
            if (auto* why = std::get_if<std::string>(&r)) {
                error(a.where, header, a.key, *why);
                continue;
            }
            values.push_back(Setting{a.where, part, std::get<Value>(r)});
        }
    }

    void defaults(Section& s) {
        const SectionSpec* sp = spec(s.name);
        std::string header = s.id.empty() ? s.name : s.name + " " + s.id;
        for (auto& k : sp->keys) {
            if (s.has(k.name))
                continue;
            if (k.defaultValue) {
                auto r = parseValue(k, *k.defaultValue);
                if (auto* v = std::get_if<Value>(&r)) {
                    slot(s, k.name).push_back(Setting{s.where, *k.defaultValue, *v});
                }
            } else if (k.required) {
                error(s.where, header, k.name, "required key is missing");
            }
        }
    }

    const Schema& schema_;
    std::vector<ConfigError>& errors_;
    Config config_;
};

}  // namespace

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t bestD = 3;
    for (auto& c : candidates) {
        size_t d = distance(lower(word), lower(c));
        if (d < bestD) {
            bestD = d;
            best = c;
        }
    }
    return best;
}

Config validate(const std::vector<std::pair<std::string, RawFile>>& files, const Schema& schema,
                const std::string& mainName, std::vector<ConfigError> errors) {
    Merger m(schema, errors);
    for (auto& [name, raw] : files)
        m.file(name, raw);
    Config c = m.finish(mainName);
    if (!errors.empty())
        throw ConfigException(errors);
    return c;
}

}  // namespace weft::config
