#include "config_loader.hpp"

#include <algorithm>

#include "../bus_text.hpp"
#include "error_limit.hpp"
#include "file_reader.hpp"
#include "ini_reader.hpp"
#include "schema_validator.hpp"

namespace weft::config {
namespace fs = std::filesystem;
namespace {

using Texts = std::vector<std::pair<std::string, std::string>>;

// Errors in the order a person reads the files: by file (as applied), then line.
void sortErrors(std::vector<ConfigError>& errors, const Texts& texts) {
    auto rank = [&](const ConfigError& e) {
        auto it = std::find_if(texts.begin(), texts.end(),
                               [&](auto& t) { return t.first == e.where.file; });
        return std::pair(size_t(it - texts.begin()), e.where.line);
    };
    std::stable_sort(errors.begin(), errors.end(),
                     [&](auto& a, auto& b) { return rank(a) < rank(b); });
}

Config parseAll(const Texts& texts, const Schema& schema, const std::string& mainName,
                std::vector<ConfigError> errors) {
    std::vector<std::pair<std::string, RawFile>> files;
    size_t unreported = 0;
    for (auto& [name, text] : texts) {
        files.emplace_back(name, readIni(text, name, errors));
        unreported += files.back().second.unreportedErrors;
    }
    Config config = mergeAndValidate(files, schema, mainName, errors);
    if (!errors.empty()) {
        sortErrors(errors, texts);
        limitErrors(errors, unreported);
        throw ConfigException(std::move(errors));
    }
    return config;
}

}  // namespace

Config parseTexts(const Texts& texts, const Schema& schema) {
    return parseAll(texts, schema, texts.empty() ? "<none>" : texts.front().first, {});
}

Config parseText(std::string_view text, const std::string& fileName, const Schema& schema) {
    return parseTexts({{fileName, std::string(text)}}, schema);
}

namespace {

// The data directory's files; an unreadable one fails the load like a bad config file.
void loadDataFiles(const SearchPath& sp, const Schema& schema, Config& config) {
    std::vector<ConfigError> errors;
    for (auto& p : findDataFiles(sp, schema.dataDirectory, schema.dataExtensions)) {
        std::string text, why;
        if (!isValidUtf8(p.string())) {
            errors.push_back(ConfigError{Location{escapeInvalidUtf8(p.string()), 0}, "", "",
                                         "file name is not valid UTF-8; rename the file"});
        } else if (!readConfigFile(p, text, why)) {
            errors.push_back(ConfigError{Location{p.string(), 0}, "", "", why});
        } else if (!isValidUtf8(text)) {
            errors.push_back(
                ConfigError{Location{p.string(), 0}, "", "", "file is not valid UTF-8 text"});
        } else {
            config.files.push_back(p.string());
            config.dataFiles.push_back(DataFile{p.string(), std::move(text)});
        }
    }
    if (!errors.empty())
        throw ConfigException(std::move(errors));
}

}  // namespace

Config load(const SearchPath& sp, const std::string& name, const Schema& schema) {
    Texts texts;
    std::vector<ConfigError> errors;
    auto files = findFiles(sp, name);
    for (auto& p : files) {
        std::string text, why;
        if (!isValidUtf8(p.string())) {
            // Its name would appear in every message about it, and messages go over D-Bus.
            errors.push_back(ConfigError{Location{escapeInvalidUtf8(p.string()), 0}, "", "",
                                         "file name is not valid UTF-8; rename the file"});
        } else if (readConfigFile(p, text, why)) {
            texts.emplace_back(p.string(), std::move(text));
        } else {
            errors.push_back(ConfigError{Location{p.string(), 0}, "", "", why});
        }
    }
    bool hasMain = !files.empty() && files.front().filename() == name + ".conf" &&
                   files.front().parent_path().filename() != name + ".conf.d";
    std::string mainName = hasMain ? files.front().string() : name + ".conf";
    Config config = parseAll(texts, schema, mainName, std::move(errors));
    config.files.clear();
    for (auto& p : files)
        config.files.push_back(p.string());
    if (!schema.dataDirectory.empty())
        loadDataFiles(sp, schema, config);
    return config;
}

}  // namespace weft::config
