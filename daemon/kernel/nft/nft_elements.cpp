#include "nft_elements.hpp"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>

#include "nft_concat.hpp"
#include "nft_model.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;

namespace {

VerdictData verdictData(nftnl_set_elem* e) {
    VerdictData v;
    switch (int(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT))) {
        case NF_DROP:
            v.verdict = Verdict::Drop;
            break;
        case NFT_JUMP:
            v.verdict = Verdict::Jump;
            break;
        case NFT_GOTO:
            v.verdict = Verdict::Goto;
            break;
        case NFT_RETURN:
            v.verdict = Verdict::Return;
            break;
        case NFT_CONTINUE:
            v.verdict = Verdict::Continue;
            break;
        default:
            v.verdict = Verdict::Accept;
    }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
        v.chain = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
    return v;
}

Address addressOf(const std::vector<uint8_t>& k) {
    return Address::fromBytes(k.size() == 4 ? Family::V4 : Family::V6, k.data());
}

// Big-endian byte strings +1 / -1 (wrapping; the callers never wrap).
Address nextAddress(Address a) {
    for (int i = int(a.size()) - 1; i >= 0; --i) {
        if (++a.bytes[size_t(i)] != 0)
            break;
    }
    return a;
}

std::vector<uint8_t> previous(std::vector<uint8_t> b) {
    for (int i = int(b.size()) - 1; i >= 0; --i) {
        if (b[size_t(i)]-- != 0)
            break;
    }
    return b;
}

// The minimal prefixes covering the address range [a, b].
std::vector<Prefix> coverRange(const Address& a, const Address& b) {
    std::vector<Prefix> cover;
    for (Address cur = a;;) {
        // The largest prefix starting at `cur` that stays within b.
        uint8_t len = uint8_t(a.bits());
        while (len > 0) {
            Prefix wider = Prefix::make(cur, uint8_t(len - 1));
            if (wider.first() != cur || wider.last() > b)
                break;
            --len;
        }
        cover.push_back(Prefix::make(cur, len));
        if (cover.back().last() >= b)
            return cover;
        cur = nextAddress(cover.back().last());
    }
}

uint16_t port(const std::vector<uint8_t>& k) {
    uint16_t p = 0;
    std::memcpy(&p, k.data(), std::min<size_t>(2, k.size()));
    return ntohs(p);
}

// Interval sets: [start, end) pairs (no end: up to the top of the key space).
ElementSet intervalElements(const Set& def, std::vector<RawElem> raw) {
    std::sort(raw.begin(), raw.end(), [](auto& a, auto& b) {
        return a.key != b.key ? a.key < b.key : a.end > b.end;  // an end before a start
    });
    bool addresses = def.keyType == DataType::Ipv4Addr || def.keyType == DataType::Ipv6Addr;
    std::vector<Element> out;
    auto add = [&](const std::vector<uint8_t>& first, const std::vector<uint8_t>& last) {
        if (addresses) {  // weft writes prefixes, so a range is one prefix (adjacent ones stay
                          // apart)
            for (auto& p : coverRange(addressOf(first), addressOf(last)))
                out.push_back(Element{p, {}});
        } else {
            out.push_back(Element{PortRange{port(first), port(last)}, {}});
        }
    };
    std::vector<uint8_t> start;  // of the open interval, when `open`
    bool open = false;
    for (auto& e : raw) {
        if (open)  // an end, or (never from weft) a start with the previous end omitted
            add(start, previous(e.key));
        open = !e.end;
        if (open)
            start = e.key;
    }
    if (open)
        add(start, std::vector<uint8_t>(start.size(), 0xff));
    return ElementSet(std::move(out));
}

ElementKey plainKey(DataType t, const std::vector<uint8_t>& k) {
    switch (t) {
        case DataType::Ipv4Addr:
        case DataType::Ipv6Addr:
            return Prefix::host(addressOf(k));
        case DataType::InetService:
            return PortRange{port(k), port(k)};
        case DataType::InetProto:
            return uint32_t(k.empty() ? 0 : k[0]);
        case DataType::IfName:
            return std::string(reinterpret_cast<const char*>(k.data()),
                               strnlen(reinterpret_cast<const char*>(k.data()), k.size()));
        default: {
            uint32_t v = 0;
            std::memcpy(&v, k.data(), std::min<size_t>(4, k.size()));
            return v;
        }
    }
}

}  // namespace

RawElem rawElement(const Set& def, nftnl_set_elem* e) {
    RawElem r;
    uint32_t len = 0;
    auto* k = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
    if (k)
        r.key.assign(k, k + len);
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
        uint32_t el = 0;
        auto* x = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &el));
        r.keyEnd = std::vector<uint8_t>(x, x + el);
    }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
        r.end = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END;
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT))
        r.data = verdictData(e);
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)) {
        uint32_t dl = 0;
        auto* d = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dl));
        if (dl == 4 && def.dataType == DataType::Mark) {
            uint32_t v;
            std::memcpy(&v, d, 4);
            r.data = v;
        } else if (dl == 4 || dl == 16) {
            r.data = Address::fromBytes(dl == 4 ? Family::V4 : Family::V6, d);
        }
    }
    return r;
}

ElementSet decodeElements(const Set& def, std::vector<RawElem> raw) {
    if (!def.concat.empty()) {
        std::vector<Element> out;
        out.reserve(raw.size());
        for (auto& r : raw) {
            out.push_back(
                Element{concatFrom(def.concat, r.key, r.keyEnd ? &*r.keyEnd : nullptr), r.data});
        }
        return ElementSet(std::move(out));
    }
    if (def.interval)
        return intervalElements(def, std::move(raw));
    std::vector<Element> out;
    out.reserve(raw.size());
    for (auto& r : raw)
        out.push_back(Element{plainKey(def.keyType, r.key), r.data});
    return ElementSet(std::move(out));
}

}  // namespace weft::kernel::nft
