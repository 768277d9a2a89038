// An independent reader of netlink bytes for the tests. It shares no code with the encoder
// (no libmnl, no weft netlink code), so a layout bug cannot cancel itself out. It is strict:
// any length that does not add up throws, which fails the test.
#pragma once

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace walk {

inline size_t align4(size_t n) {
    return (n + 3) & ~size_t(3);
}

struct Attr {
    uint16_t type = 0;    ///< without the flag bits
    bool nested = false;  ///< NLA_F_NESTED was set
    const uint8_t* data = nullptr;
    size_t len = 0;  ///< payload bytes, without padding

    template <class T>
    T as() const {
        if (len != sizeof(T))
            throw std::runtime_error("attribute " + std::to_string(type) + " has " +
                                     std::to_string(len) + " bytes, want " +
                                     std::to_string(sizeof(T)));
        T v;
        std::memcpy(&v, data, sizeof v);
        return v;
    }
    std::vector<uint8_t> bytes() const { return {data, data + len}; }
    std::vector<Attr> children() const;
};

/// Every attribute in [p, p + len); the last one's padding must end exactly at p + len.
inline std::vector<Attr> attrs(const uint8_t* p, size_t len) {
    std::vector<Attr> out;
    size_t off = 0;
    while (off < len) {
        if (len - off < 4)
            throw std::runtime_error("truncated attribute header");
        uint16_t nlaLen, nlaType;
        std::memcpy(&nlaLen, p + off, 2);
        std::memcpy(&nlaType, p + off + 2, 2);
        if (nlaLen < 4 || off + nlaLen > len)
            throw std::runtime_error("attribute length out of bounds");
        out.push_back({uint16_t(nlaType & NLA_TYPE_MASK), (nlaType & NLA_F_NESTED) != 0,
                       p + off + 4, size_t(nlaLen - 4)});
        off += align4(nlaLen);
    }
    if (off != len)
        throw std::runtime_error("attributes overrun their container");
    return out;
}

inline std::vector<Attr> Attr::children() const {
    return attrs(data, len);
}

inline const Attr* find(const std::vector<Attr>& list, uint16_t type) {
    for (auto& a : list)
        if (a.type == type)
            return &a;
    return nullptr;
}

inline std::vector<uint16_t> types(const std::vector<Attr>& list) {
    std::vector<uint16_t> t;
    for (auto& a : list)
        t.push_back(a.type);
    return t;
}

/// One generic netlink message. It keeps its own copy of the bytes (shared between copies of
/// the Message), so its attributes stay valid when the encoder's buffer is gone.
struct Message {
    nlmsghdr hdr{};
    genlmsghdr genl{};
    std::vector<Attr> attrs;
    std::shared_ptr<const std::vector<uint8_t>> storage;
};

/// Reads a message that exactly fills `bytes`.
inline Message message(const std::vector<uint8_t>& bytes) {
    Message m;
    m.storage = std::make_shared<const std::vector<uint8_t>>(bytes);
    const auto& b = *m.storage;
    if (b.size() < sizeof m.hdr + sizeof m.genl)
        throw std::runtime_error("message shorter than its headers");
    std::memcpy(&m.hdr, b.data(), sizeof m.hdr);
    std::memcpy(&m.genl, b.data() + sizeof m.hdr, sizeof m.genl);
    if (m.hdr.nlmsg_len != b.size())
        throw std::runtime_error("nlmsg_len does not match the buffer");
    size_t off = sizeof m.hdr + align4(sizeof m.genl);
    m.attrs = attrs(b.data() + off, b.size() - off);
    return m;
}

/// A test-side writer of netlink messages, for GET-shaped replies the kernel would send.
class Writer {
  public:
    Writer(uint16_t type, uint16_t flags, uint32_t seq) {
        nlmsghdr h{};
        h.nlmsg_type = type;
        h.nlmsg_flags = flags;
        h.nlmsg_seq = seq;
        raw(&h, sizeof h);
    }
    /// A payload that is not attributes (the errno of NLMSG_DONE or NLMSG_ERROR).
    void payload(const void* data, size_t len) {
        raw(data, len);
        b_.resize(align4(b_.size()));
    }
    void genl(uint8_t cmd, uint8_t version) {
        genlmsghdr g{};
        g.cmd = cmd;
        g.version = version;
        raw(&g, sizeof g);
    }
    void put(uint16_t type, const void* data, size_t len) {
        uint16_t l = uint16_t(4 + len);
        raw(&l, 2);
        raw(&type, 2);
        raw(data, len);
        b_.resize(align4(b_.size()));
    }
    template <class T>
    void put(uint16_t type, const T& v) {
        put(type, &v, sizeof v);
    }
    void begin(uint16_t type) {
        open_.push_back(b_.size());
        put(uint16_t(type | NLA_F_NESTED), nullptr, 0);
    }
    void end() {
        uint16_t l = uint16_t(b_.size() - open_.back());
        std::memcpy(b_.data() + open_.back(), &l, 2);
        open_.pop_back();
    }
    std::vector<uint8_t> done() {
        uint32_t l = uint32_t(b_.size());
        std::memcpy(b_.data(), &l, 4);
        return b_;
    }

  private:
    // resize + memcpy: g++ 12 misreads vector::insert into an empty vector as an overflow.
    void raw(const void* p, size_t n) {
        size_t at = b_.size();
        b_.resize(at + n);
        if (n)
            std::memcpy(b_.data() + at, p, n);
    }
    std::vector<uint8_t> b_;
    std::vector<size_t> open_;
};

}  // namespace walk
