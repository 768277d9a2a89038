#include "kernel/nflog/nflog_receiver.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "kernel/nflog/nflog_message.hpp"
#include "kernel/nflog/nflog_socket.hpp"
#include "log.hpp"

namespace weft::kernel {
namespace {

// IPv6 with a few extension headers plus a transport header fits; payloads are not wanted.
constexpr uint32_t kCopyRange = 256;
// Per loop wake-up: datagrams read (each holds a batch of packets) and packets delivered.
constexpr size_t kReadBatch = 32;
constexpr size_t kDeliverBatch = 256;

}  // namespace

struct NflogReceiver::Impl {
    struct Subscriber {
        uint16_t group = 0;
        std::shared_ptr<Handler> fn;  // shared: a handler may unsubscribe itself while running
    };
    struct Group {
        size_t subscribers = 0;
        std::optional<uint32_t> nextSequence;
    };
    struct Queued {
        LoggedPacket packet;
        Id firstLaterId = 0;  // subscribers from this id on came after the packet
    };

    EventLoop& loop;
    size_t queueLimit;
    std::unique_ptr<NflogSocket> socket;
    EventLoop::Id readSource = 0;
    EventLoop::Id deliveryEvent = 0;
    std::map<Id, Subscriber> subscribers;
    std::map<uint16_t, Group> groups;
    std::deque<Queued> queue;
    Id nextId = 1;
    uint64_t overflowed = 0;
    uint64_t overruns = 0;      // ENOBUFS reports: at least one packet each
    uint64_t sequenceGaps = 0;  // packets the kernel numbered but never delivered
    std::unordered_map<uint32_t, std::string> names;  // per read wake-up: index -> name

    Impl(EventLoop& l, size_t limit) : loop(l), queueLimit(limit) {}

    ~Impl() {
        loop.cancel(readSource);
        loop.cancel(deliveryEvent);
    }

    void openSocket() {
        socket = std::make_unique<NflogSocket>([this](std::span<const uint8_t> m) { onMessage(m); },
                                               [this] { ++overruns; });
        readSource = loop.addReadable(socket->fd(), [this] { onReadable(); });
    }

    void closeSocket() {
        loop.cancel(readSource);
        readSource = 0;
        socket.reset();
    }

    void onReadable() {
        names.clear();
        socket->readAvailable(kReadBatch);
        scheduleDelivery();
    }

    std::string nameOf(uint32_t index) {
        auto [it, fresh] = names.try_emplace(index);
        if (fresh)
            it->second = interfaceName(index);
        return it->second;
    }

    void onMessage(std::span<const uint8_t> message) {
        auto record = decodeNflogMessage(message, std::chrono::system_clock::now(),
                                         [this](uint32_t i) { return nameOf(i); });
        if (!record)
            return;  // not an IP packet with a whole IP header: nothing a subscriber can use
        auto g = groups.find(record->packet.group);
        if (g == groups.end())
            return;  // left over from a group unbound meanwhile
        countGap(g->second, record->sequence);
        if (queueLimit == 0) {
            ++overflowed;
            return;
        }
        if (queue.size() >= queueLimit) {
            queue.pop_front();
            ++overflowed;
        }
        queue.push_back({std::move(record->packet), nextId});
    }

    void countGap(Group& g, std::optional<uint32_t> seq) {
        if (!seq)
            return;
        if (g.nextSequence) {
            uint32_t gap = *seq - *g.nextSequence;  // modulo 2^32
            // A "negative" gap is a message from before a rebind: resynchronise, count nothing.
            if (gap < 0x80000000u)
                sequenceGaps += gap;
        }
        g.nextSequence = *seq + 1;
    }

    void scheduleDelivery() {
        if (deliveryEvent != 0 || queue.empty())
            return;
        // A zero-delay timer: delivery waits for the loop's next turn, after other events.
        deliveryEvent = loop.addTimer(std::chrono::milliseconds(0), false, [this] {
            deliveryEvent = 0;
            deliverBatch();
            scheduleDelivery();
        });
    }

    void deliverBatch() {
        std::vector<Id> targets;
        for (size_t n = 0; n < kDeliverBatch && !queue.empty(); ++n) {
            Queued q = std::move(queue.front());
            queue.pop_front();
            targets.clear();
            for (auto& [id, s] : subscribers)
                if (s.group == q.packet.group && id < q.firstLaterId)
                    targets.push_back(id);
            for (Id id : targets) {
                auto it = subscribers.find(id);  // an earlier handler may have removed it
                if (it == subscribers.end())
                    continue;
                std::shared_ptr<Handler> fn = it->second.fn;
                try {
                    (*fn)(q.packet);
                } catch (const std::exception& e) {
                    logMessage(LogLevel::Error, {},
                               std::string("nflog subscriber failed: ") + e.what());
                }
            }
        }
    }

    Id subscribe(uint16_t group, Handler fn) {
        if (!fn)
            throw std::invalid_argument("nflog: empty handler");
        auto g = groups.find(group);
        if (g == groups.end()) {
            bool opened = false;
            if (!socket) {
                openSocket();
                opened = true;
            }
            try {
                socket->bind(group, kCopyRange);
            } catch (...) {
                if (opened)
                    closeSocket();
                throw;
            }
            g = groups.emplace(group, Group{}).first;
        }
        ++g->second.subscribers;
        Id id = nextId++;
        subscribers.emplace(id, Subscriber{group, std::make_shared<Handler>(std::move(fn))});
        return id;
    }

    void unsubscribe(Id id) {
        auto it = subscribers.find(id);
        if (it == subscribers.end())
            return;
        uint16_t group = it->second.group;
        subscribers.erase(it);
        auto g = groups.find(group);
        if (g == groups.end() || --g->second.subscribers > 0)
            return;
        groups.erase(g);
        if (groups.empty()) {
            closeSocket();  // closing releases the last group too
            return;
        }
        try {
            socket->unbind(group);
        } catch (const std::exception& e) {
            logMessage(LogLevel::Warning, {}, e.what());
        }
    }
};

NflogReceiver::NflogReceiver(EventLoop& loop, size_t queueLimit)
    : impl_(std::make_unique<Impl>(loop, queueLimit)) {}

NflogReceiver::~NflogReceiver() = default;

NflogReceiver::Id NflogReceiver::subscribe(uint16_t group, Handler fn) {
    return impl_->subscribe(group, std::move(fn));
}

void NflogReceiver::unsubscribe(Id id) {
    impl_->unsubscribe(id);
}

uint64_t NflogReceiver::dropped() const {
    // Both kernel counts see the same losses from two sides (an ENOBUFS report, a numbering
    // gap); the larger is the better lower bound, their sum would count a loss twice.
    return impl_->overflowed + std::max(impl_->overruns, impl_->sequenceGaps);
}

}  // namespace weft::kernel
