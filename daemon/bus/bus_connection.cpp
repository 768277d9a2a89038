#include "bus_connection.hpp"

#include <poll.h>
#include <sys/epoll.h>

#include <system_error>

namespace weft {

static void check(int r, const char* what) {
    if (r < 0)
        throw std::system_error(-r, std::generic_category(), what);
}

static uint32_t toEpoll(short events) {
    uint32_t e = 0;
    if (events & POLLIN)
        e |= EPOLLIN;
    if (events & POLLOUT)
        e |= EPOLLOUT;
    return e;
}

BusConnection::BusConnection(sd_event* event) : connection_(sdbus::createSystemBusConnection()) {
    auto pd = connection_->getEventLoopPollData();
    check(sd_event_add_io(event, &io_, pd.fd, toEpoll(pd.events), &BusConnection::onIo, this),
          "sd_event_add_io(bus)");
    check(sd_event_source_set_prepare(io_, &BusConnection::onPrepare), "set_prepare(bus)");
    check(sd_event_add_time(event, &time_, CLOCK_MONOTONIC, UINT64_MAX, 0, &BusConnection::onTime,
                            this),
          "sd_event_add_time(bus)");
    sd_event_source_set_enabled(time_, SD_EVENT_OFF);
    processAll();
}

BusConnection::~BusConnection() {
    sd_event_source_disable_unref(io_);
    sd_event_source_disable_unref(time_);
}

void BusConnection::requestName(const std::string& name) {
    connection_->requestName(name);
    processAll();
}

void BusConnection::processAll() {
    while (connection_->processPendingRequest()) {
    }
}

// Before every poll: the fd's events and the bus timeout may have changed.
int BusConnection::onPrepare(sd_event_source*, void* user) {
    auto* self = static_cast<BusConnection*>(user);
    auto pd = self->connection_->getEventLoopPollData();
    sd_event_source_set_io_events(self->io_, toEpoll(pd.events));
    if (pd.timeout_usec == UINT64_MAX) {
        sd_event_source_set_enabled(self->time_, SD_EVENT_OFF);
    } else {
        sd_event_source_set_time(self->time_, pd.timeout_usec);
        sd_event_source_set_enabled(self->time_, SD_EVENT_ONESHOT);
    }
    return 0;
}

int BusConnection::onIo(sd_event_source*, int, uint32_t, void* user) {
    static_cast<BusConnection*>(user)->processAll();
    return 0;
}

int BusConnection::onTime(sd_event_source*, uint64_t, void* user) {
    static_cast<BusConnection*>(user)->processAll();
    return 0;
}

}  // namespace weft
