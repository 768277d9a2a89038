#include "host_impl.hpp"

#include <sys/stat.h>

#include "log.hpp"

namespace weft {

HostImpl::HostImpl(std::string plugin, HostServices& services, BusObject& bus)
    : plugin_(std::move(plugin)), services_(services), bus_(bus) {}

HostImpl::~HostImpl() {
    release();
}

void HostImpl::release() {
    for (auto id : timers_)
        services_.loop().cancel(id);
    timers_.clear();
    linkCallbacks_.clear();
}

void HostImpl::log(LogLevel level, const std::string& message) {
    logMessage(level, plugin_, message);
}

static std::filesystem::path ensureDir(const std::filesystem::path& p, mode_t mode) {
    std::filesystem::create_directories(p);
    chmod(p.c_str(), mode);
    return p;
}

std::filesystem::path HostImpl::stateDirectory() {
    ensureDir(services_.stateRoot(), 0700);
    return ensureDir(services_.stateRoot() / plugin_, 0700);
}

std::filesystem::path HostImpl::runtimeDirectory() {
    return ensureDir(services_.runtimeRoot() / plugin_, 0700);
}

Host::TimerId HostImpl::addTimer(std::chrono::milliseconds interval, std::function<void()> fn) {
    std::string who = plugin_;
    auto id = services_.loop().addTimer(interval, true, [who, fn = std::move(fn)] {
        try {
            fn();
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, who, std::string("timer failed: ") + e.what());
        }
    });
    timers_.insert(id);
    return id;
}

void HostImpl::cancelTimer(TimerId id) {
    if (timers_.erase(id))
        services_.loop().cancel(id);
}

void HostImpl::publishSet(const std::string& name, const PrefixSet& set) {
    if (services_.publishSet(plugin_ + "/" + name, set))
        services_.requestReconcile();
}

void HostImpl::notifyLinksChanged() {
    for (auto& fn : linkCallbacks_) {
        try {
            fn();
        } catch (const std::exception& e) {
            logMessage(LogLevel::Error, plugin_, std::string("link callback failed: ") + e.what());
        }
    }
}

}  // namespace weft
