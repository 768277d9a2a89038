#include "config_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

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
    for (auto& [name, text] : texts)
        files.emplace_back(name, readIni(text, name, errors));
    Config config = mergeAndValidate(files, schema, mainName, errors);
    if (!errors.empty()) {
        sortErrors(errors, texts);
        throw ConfigException(std::move(errors));
    }
    return config;
}

// The whole file; on failure `why` says why (EISDIR, EACCES, ...).
bool readFile(const fs::path& p, std::string& out, std::string& why) {
    struct Fd {
        int fd;
        ~Fd() {
            if (fd >= 0)
                ::close(fd);
        }
    } f{::open(p.c_str(), O_RDONLY | O_CLOEXEC)};
    char buf[8192];
    ssize_t n = 0;
    while (f.fd >= 0 && (n = ::read(f.fd, buf, sizeof buf)) > 0)
        out.append(buf, size_t(n));
    if (f.fd < 0 || n < 0) {
        why = std::string("cannot read file: ") + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace

Config parseTexts(const Texts& texts, const Schema& schema) {
    return parseAll(texts, schema, texts.empty() ? "<none>" : texts.front().first, {});
}

Config parseText(std::string_view text, const std::string& fileName, const Schema& schema) {
    return parseTexts({{fileName, std::string(text)}}, schema);
}

Config load(const SearchPath& sp, const std::string& name, const Schema& schema) {
    Texts texts;
    std::vector<ConfigError> errors;
    auto files = findFiles(sp, name);
    for (auto& p : files) {
        std::string text, why;
        if (readFile(p, text, why))
            texts.emplace_back(p.string(), std::move(text));
        else
            errors.push_back(ConfigError{Location{p.string(), 0}, "", "", why});
    }
    bool hasMain = !files.empty() && files.front().filename() == name + ".conf" &&
                   files.front().parent_path().filename() != name + ".conf.d";
    std::string mainName = hasMain ? files.front().string() : name + ".conf";
    Config config = parseAll(texts, schema, mainName, std::move(errors));
    config.files.clear();
    for (auto& p : files)
        config.files.push_back(p.string());
    return config;
}

}  // namespace weft::config
