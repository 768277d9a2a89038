// Real packets over loopback for the nflog tests, and a way to run the event loop until the
// receiver delivered what a test waits for.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "event_loop.hpp"

namespace weft::test {

/// Sends one UDP datagram from `sourcePort` (0: any) to `destination`:`port`; returns the
/// source port used. `destinationOptions` adds an IPv6 destination-options header.
uint16_t sendUdp(const std::string& destination, uint16_t port, uint16_t sourcePort = 0,
                 bool destinationOptions = false);
/// Connects over TCP to a listener it opens on `address`:`port`; returns the client's port.
uint16_t connectTcp(const std::string& address, uint16_t port);
/// Sends an SCTP common header (no SCTP socket needed: a raw IPv4 socket) to 127.0.0.1.
void sendSctp(uint16_t sourcePort, uint16_t destinationPort);

/// Runs `loop` one event at a time until `done()` holds or `timeoutMs` passed; returns done().
bool runUntil(EventLoop& loop, const std::function<bool()>& done, int timeoutMs = 3000);
/// Runs `loop` for `ms` milliseconds (to show that something does not arrive).
void runFor(EventLoop& loop, int ms);

}  // namespace weft::test
