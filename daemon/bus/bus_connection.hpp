// The system-bus connection, driven by our sd-event loop.
//
// sdbus-c++ 1.2 has no sd-event integration (that came in 2.0): we watch its poll fd,
// re-read the poll data before every poll (sd-event prepare callback) and call
// processPendingRequest() until it has nothing left. Keep sdbus-c++ behind this
// facade: 2.x breaks its API.
#pragma once

#include <systemd/sd-event.h>

#include <sdbus-c++/sdbus-c++.h>
#include <memory>
#include <string>

namespace weft {

class BusConnection {
  public:
    /// Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS honoured) and attaches to `event`.
    explicit BusConnection(sd_event* event);
    ~BusConnection();
    BusConnection(const BusConnection&) = delete;
    BusConnection& operator=(const BusConnection&) = delete;

    /// Claims a well-known name; throws sdbus::Error if another process holds it.
    void requestName(const std::string& name);
    sdbus::IConnection& connection() { return *connection_; }

  private:
    static int onPrepare(sd_event_source* s, void* user);
    static int onIo(sd_event_source* s, int fd, uint32_t revents, void* user);
    static int onTime(sd_event_source* s, uint64_t usec, void* user);
    void processAll();

    std::unique_ptr<sdbus::IConnection> connection_;
    sd_event_source* io_ = nullptr;
    sd_event_source* time_ = nullptr;
};

}  // namespace weft
