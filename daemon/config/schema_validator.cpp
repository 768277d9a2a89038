#include "schema_validator.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "suggest.hpp"
#include "value_parser.hpp"

namespace weft::config {
namespace {

std::string unknown(const std::string& what, const std::string& word,
                    const std::vector<std::string>& known) {
    auto hint = suggest(word, known);
    return "unknown " + what + " '" + word + "'" +
           (hint.empty() ? "" : "; did you mean '" + hint + "'?");
}

bool validId(const std::string& id) {
    return id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '_' || c == '.' || c == '-';
           });
}

std::string header(const Section& s) {
    return s.id.empty() ? s.name : s.name + " " + s.id;
}

std::vector<Setting>& slot(Section& s, const std::string& key) {
    for (auto& [k, v] : s.values) {
        if (k == key)
            return v;
    }
    return s.values.emplace_back(key, std::vector<Setting>{}).second;
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
            if (int i = opened[a.section]; i >= 0)
                assign(size_t(i), a);
        }
    }

    Config finish(const std::string& mainName) {
        for (auto& spec : schema_.sections) {
            if (!spec.named && !config_.section(spec.name))
                add(Section{spec.name, "", Location{mainName, 0}, {}});
        }
        for (size_t i = 0; i < config_.sections.size(); ++i)
            complete(i);
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

    int add(Section s) {
        config_.sections.push_back(std::move(s));
        mentioned_.emplace_back();
        invalid_.emplace_back();
        return int(config_.sections.size() - 1);
    }

    // The index of the section instance `raw` opens (merged across files), or -1 if refused.
    int open(const RawSection& raw) {
        const SectionSpec* sp = spec(raw.name);
        std::string why;
        if (!sp) {
            std::vector<std::string> names;
            for (auto& s : schema_.sections)
                names.push_back(s.name);
            why = unknown("section", raw.name, names);
        } else if (sp->named && raw.id.empty()) {
            why = "section needs a name: [" + raw.name + " NAME]";
        } else if (!sp->named && !raw.id.empty()) {
            why = "section [" + raw.name + "] takes no name";
        } else if (!validId(raw.id)) {
            why = "'" + raw.id + "' is not a valid section name (letters, digits, '_', '.', '-')";
        }
        if (!why.empty()) {
            error(raw.where, raw.header(), "", why);
            return -1;
        }
        for (size_t i = 0; i < config_.sections.size(); ++i) {
            if (config_.sections[i].name == raw.name && config_.sections[i].id == raw.id)
                return int(i);
        }
        return add(Section{raw.name, raw.id, raw.where, {}});
    }

    void assign(size_t index, const RawAssignment& a) {
        Section& s = config_.sections[index];
        const SectionSpec* sp = spec(s.name);
        auto it = std::find_if(sp->keys.begin(), sp->keys.end(),
                               [&](auto& k) { return k.name == a.key; });
        if (it == sp->keys.end()) {
            std::vector<std::string> keys;
            for (auto& k : sp->keys)
                keys.push_back(k.name);
            error(a.where, header(s), a.key, unknown("key", a.key, keys));
            return;
        }
        mentioned_[index].insert(a.key);
        auto& values = slot(s, a.key);
        // "Key=" empties a list, and unsets a single key (so its default applies again).
        if (a.value.empty() || !it->repeated)
            values.clear();
        if (a.value.empty())
            return;
        for (auto& word : valueWords(*it, a.value)) {
            auto r = parseValue(*it, word);
            if (auto* why = std::get_if<std::string>(&r)) {
                error(a.where, header(s), a.key, *why);
                invalid_[index].insert(a.key);
            } else {
                values.push_back(Setting{a.where, word, std::get<Value>(r)});
            }
        }
    }

    // Defaults and required keys, once everything is merged.
    void complete(size_t index) {
        Section& s = config_.sections[index];
        for (auto& k : spec(s.name)->keys) {
            if (s.has(k.name))
                continue;
            // An explicitly emptied list stays empty; a single key falls back to its default.
            bool emptied = k.repeated && mentioned_[index].count(k.name);
            if (k.defaultValue && !emptied)
                applyDefault(s, k);
            // A key given with a bad value is reported once, not also as missing.
            if (k.required && !s.has(k.name) && !invalid_[index].count(k.name))
                error(s.where, header(s), k.name, "required key is missing");
        }
    }

    void applyDefault(Section& s, const KeySpec& k) {
        auto& values = slot(s, k.name);
        for (auto& word : valueWords(k, *k.defaultValue)) {
            auto r = parseValue(k, word);
            if (auto* why = std::get_if<std::string>(&r))  // a bug in the plugin's schema
                error(s.where, header(s), k.name, "invalid default in the schema: " + *why);
            else
                values.push_back(Setting{s.where, word, std::get<Value>(r)});
        }
    }

    const Schema& schema_;
    std::vector<ConfigError>& errors_;
    Config config_;
    std::vector<std::set<std::string>> mentioned_;  // per section: keys assigned at all
    std::vector<std::set<std::string>> invalid_;    // per section: keys with a bad value
};

}  // namespace

Config mergeAndValidate(const std::vector<std::pair<std::string, RawFile>>& files,
                        const Schema& schema, const std::string& mainName,
                        std::vector<ConfigError>& errors) {
    Merger m(schema, errors);
    for (auto& [name, raw] : files)
        m.file(name, raw);
    return m.finish(mainName);
}

}  // namespace weft::config
