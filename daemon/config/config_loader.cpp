#include "config_loader.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "ini_reader.hpp"
#include "schema_validator.hpp"

namespace weft::config {
namespace fs = std::filesystem;

static bool masked(const fs::path& p) {
    std::error_code ec;
    if (p == "/dev/null")
        return true;
    if (!fs::is_symlink(p, ec))
        return false;
    return fs::read_symlink(p, ec) == "/dev/null";
}

static fs::path under(const SearchPath& sp, const fs::path& dir) {
    if (sp.root.empty())
        return dir;
    return sp.root / dir.relative_path();
}

std::vector<fs::path> findFiles(const SearchPath& sp, const std::string& name) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (auto& dir : sp.dirs) {  // highest priority first
        fs::path main = under(sp, dir) / (name + ".conf");
        if (fs::exists(main, ec) || fs::is_symlink(main, ec)) {
            if (!masked(main))
                out.push_back(main);
            break;
        }
    }
    std::map<std::string, fs::path> dropins;  // file name -> winning path
    for (auto& dir : sp.dirs) {
        fs::path d = under(sp, dir) / (name + ".conf.d");
        if (!fs::is_directory(d, ec))
            continue;
        for (auto& entry : fs::directory_iterator(d, ec)) {
            auto fname = entry.path().filename().string();
            if (entry.path().extension() != ".conf" || dropins.count(fname))
                continue;
            dropins[fname] = entry.path();
        }
    }
    for (auto& [fname, p] : dropins) {
        if (!masked(p))
            out.push_back(p);
    }
    return out;
}

Config parseTexts(const std::vector<std::pair<std::string, std::string>>& texts,
                  const Schema& schema) {
    std::vector<ConfigError> errors;
    std::vector<std::pair<std::string, RawFile>> files;
    for (auto& [name, text] : texts)
        files.emplace_back(name, readIni(text, name, errors));
    std::string mainName = texts.empty() ? "<none>" : texts.front().first;
    return validate(files, schema, mainName, std::move(errors));
}

Config parseText(std::string_view text, const std::string& fileName, const Schema& schema) {
    return parseTexts({{fileName, std::string(text)}}, schema);
}

Config load(const SearchPath& sp, const std::string& name, const Schema& schema) {
    std::vector<std::pair<std::string, std::string>> texts;
    std::vector<ConfigError> unreadable;
    for (auto& p : findFiles(sp, name)) {
        std::ifstream in(p);
        if (!in) {
            unreadable.push_back(ConfigError{Location{p.string(), 0}, "", "", "cannot read file"});
            continue;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        texts.emplace_back(p.string(), ss.str());
    }
    if (!unreadable.empty())
        throw ConfigException(unreadable);
    if (texts.empty()) {
        return validate({}, schema, (under(sp, sp.dirs.front()) / (name + ".conf")).string(), {});
    }
    return parseTexts(texts, schema);
}

}  // namespace weft::config
