// weftd: the weft host network manager daemon.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <iostream>

#include "daemon.hpp"
#include "log.hpp"
#include "weft_build_config.h"

namespace {

void usage(FILE* out) {
    std::fprintf(out,
                 "Usage: weftd [OPTIONS]\n\n"
                 "The weft host network manager daemon.\n\n"
                 "  -h --help              show this help\n"
                 "     --version          show the version\n"
                 "     --root DIR         prefix the config search path with DIR (for tests)\n"
                 "     --plugin-dir DIR   also load plugins from DIR (repeatable)\n"
                 "     --log-level LEVEL  debug, info, notice, warning or error\n"
                 "     --state-dir DIR    state directory (default /var/lib/weft)\n"
                 "     --runtime-dir DIR  runtime directory (default /run/weft)\n");
}

}  // namespace

int main(int argc, char** argv) {
    enum { OptVersion = 1000, OptRoot, OptPluginDir, OptLogLevel, OptStateDir, OptRuntimeDir };
    static const option longopts[] = {{"help", no_argument, nullptr, 'h'},
                                      {"version", no_argument, nullptr, OptVersion},
                                      {"root", required_argument, nullptr, OptRoot},
                                      {"plugin-dir", required_argument, nullptr, OptPluginDir},
                                      {"log-level", required_argument, nullptr, OptLogLevel},
                                      {"state-dir", required_argument, nullptr, OptStateDir},
                                      {"runtime-dir", required_argument, nullptr, OptRuntimeDir},
                                      {nullptr, 0, nullptr, 0}};
    weft::DaemonOptions options;
    options.builtinPluginDir = WEFT_PLUGIN_DIR;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, nullptr)) != -1) {
        switch (c) {
            case 'h':
                usage(stdout);
                return 0;
            case OptVersion:
                std::printf("weftd %s\n", WEFT_VERSION);
                return 0;
            case OptRoot:
                options.root = optarg;
                break;
            case OptPluginDir:
                options.extraPluginDirs.emplace_back(optarg);
                break;
            case OptStateDir:
                options.stateRoot = optarg;
                break;
            case OptRuntimeDir:
                options.runtimeRoot = optarg;
                break;
            case OptLogLevel: {
                weft::LogLevel level;
                if (!weft::parseLogLevel(optarg, level)) {
                    std::fprintf(stderr, "weftd: --log-level: unknown level '%s'\n", optarg);
                    return 2;
                }
                weft::setLogLevel(level);
                break;
            }
            default:
                usage(stderr);
                return 2;
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "weftd: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    try {
        weft::Daemon daemon(options);
        return daemon.run();
    } catch (const std::exception& e) {
        weft::logMessage(weft::LogLevel::Error, {}, std::string("fatal: ") + e.what());
        return 1;
    }
}
