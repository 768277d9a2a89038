#include "log.hpp"

#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>

namespace weft {
namespace {

LogLevel threshold = LogLevel::Info;

int priority(LogLevel l) {
    switch (l) {
        case LogLevel::Debug:
            return LOG_DEBUG;
        case LogLevel::Info:
            return LOG_INFO;
        case LogLevel::Notice:
            return LOG_NOTICE;
        case LogLevel::Warning:
            return LOG_WARNING;
        case LogLevel::Error:
            return LOG_ERR;
    }
    return LOG_INFO;
}

const char* name(LogLevel l) {
    switch (l) {
        case LogLevel::Debug:
            return "debug";
        case LogLevel::Info:
            return "info";
        case LogLevel::Notice:
            return "notice";
        case LogLevel::Warning:
            return "warning";
        case LogLevel::Error:
            return "error";
    }
    return "info";
}

// systemd sets JOURNAL_STREAM to "dev:inode" of the stream it connected stderr to.
bool stderrIsJournal() {
    static const bool result = [] {
        const char* env = std::getenv("JOURNAL_STREAM");
        if (!env)
            return false;
        struct stat st {};
        if (fstat(STDERR_FILENO, &st) < 0)
            return false;
        unsigned long long dev = 0, ino = 0;
        if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2)
            return false;
        return st.st_dev == dev && st.st_ino == ino;
    }();
    return result;
}

}  // namespace

void setLogLevel(LogLevel level) {
    threshold = level;
}

bool parseLogLevel(const std::string& text, LogLevel& out) {
    for (LogLevel l :
         {LogLevel::Debug, LogLevel::Info, LogLevel::Notice, LogLevel::Warning, LogLevel::Error}) {
        if (text == name(l)) {
            out = l;
            return true;
        }
    }
    return false;
}

void logMessage(LogLevel level, const std::string& plugin, const std::string& message) {
    if (level < threshold)
        return;
    if (stderrIsJournal()) {
        if (plugin.empty()) {
            sd_journal_send("MESSAGE=%s", message.c_str(), "PRIORITY=%d", priority(level),
                            "SYSLOG_IDENTIFIER=weftd", nullptr);
        } else {
            sd_journal_send("MESSAGE=%s: %s", plugin.c_str(), message.c_str(), "PRIORITY=%d",
                            priority(level), "WEFT_PLUGIN=%s", plugin.c_str(),
                            "SYSLOG_IDENTIFIER=weftd", nullptr);
        }
        return;
    }
    if (plugin.empty()) {
        std::fprintf(stderr, "weftd: %s: %s\n", name(level), message.c_str());
    } else {
        std::fprintf(stderr, "weftd[%s]: %s: %s\n", plugin.c_str(), name(level), message.c_str());
    }
}

}  // namespace weft
