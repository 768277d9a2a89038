#include "nft_messages.hpp"

#include <arpa/inet.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "nft_concat.hpp"
#include "nft_expr.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;

namespace {

template <auto Free>
struct FreeWith {
    template <typename T>
    void operator()(T* p) const {
        Free(p);
    }
};
using TablePtr = std::unique_ptr<nftnl_table, FreeWith<nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, FreeWith<nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, FreeWith<nftnl_rule_free>>;
using SetPtr = std::unique_ptr<nftnl_set, FreeWith<nftnl_set_free>>;
using UdataPtr = std::unique_ptr<nftnl_udata_buf, FreeWith<nftnl_udata_buf_free>>;
using ObjPtr = std::unique_ptr<nftnl_obj, FreeWith<nftnl_obj_free>>;

std::string where(const Target& t) {
    return familyName(t.family) + " " + t.table;
}

const char* hookType(ChainType t) {
    switch (t) {
        case ChainType::Filter:
            return "filter";
        case ChainType::Route:
            return "route";
        case ChainType::Nat:
            return "nat";
    }
    return "filter";
}

uint32_t hookNum(Hook h) {
    switch (h) {
        case Hook::Prerouting:
            return NF_INET_PRE_ROUTING;
        case Hook::Input:
            return NF_INET_LOCAL_IN;
        case Hook::Forward:
            return NF_INET_FORWARD;
        case Hook::Output:
            return NF_INET_LOCAL_OUT;
        case Hook::Postrouting:
            return NF_INET_POST_ROUTING;
    }
    return NF_INET_PRE_ROUTING;
}

// Key bytes of an element; `end` gives the exclusive end of an interval (nullopt at the top).
std::vector<uint8_t> keyBytes(DataType type, const ElementKey& key, bool end, bool& top) {
    top = false;
    std::vector<uint8_t> b;
    if (auto* p = std::get_if<Prefix>(&key)) {
        Address a = end ? p->last() : p->first();
        b.assign(a.bytes.begin(), a.bytes.begin() + a.size());
        if (end) {  // last + 1, carrying
            int i = int(b.size()) - 1;
            while (i >= 0 && b[size_t(i)] == 0xff)
                b[size_t(i--)] = 0;
            if (i < 0)
                top = true;
            else
                ++b[size_t(i)];
        }
    } else if (auto* r = std::get_if<PortRange>(&key)) {
        uint32_t v = end ? uint32_t(r->last) + 1 : r->first;
        if (v > 0xffff)
            top = true;
        uint16_t n = htons(uint16_t(v));
        b.assign(reinterpret_cast<uint8_t*>(&n), reinterpret_cast<uint8_t*>(&n) + 2);
    } else if (auto* u = std::get_if<uint32_t>(&key)) {
        if (type == DataType::InetProto) {
            b.push_back(uint8_t(*u));
        } else {
            b.resize(4);
            std::memcpy(b.data(), u, 4);
        }
    } else if (auto* s = std::get_if<std::string>(&key)) {
        b.assign(IFNAMSIZ, 0);
        std::memcpy(b.data(), s->data(), std::min(s->size(), size_t(IFNAMSIZ - 1)));
    }
    return b;
}

void setData(nftnl_set_elem* e, const ElementData& d) {
    if (auto* u = std::get_if<uint32_t>(&d)) {
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, u, 4);
    } else if (auto* a = std::get_if<Address>(&d)) {
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, a->bytes.data(), a->size());
    } else if (auto* v = std::get_if<VerdictData>(&d)) {
        int code = v->verdict == Verdict::Accept   ? NF_ACCEPT
                   : v->verdict == Verdict::Drop   ? NF_DROP
                   : v->verdict == Verdict::Jump   ? NFT_JUMP
                   : v->verdict == Verdict::Goto   ? NFT_GOTO
                   : v->verdict == Verdict::Return ? NFT_RETURN
                                                   : NFT_CONTINUE;
        nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, uint32_t(code));
        if (!v->chain.empty())
            nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, v->chain.c_str());
    }
}

// A concatenated element: one key, and in an interval set its inclusive end (KEY_END), the
// layout of the kernel's pipapo sets.
void addConcatElement(nftnl_set* s, const Set& def, const Element& el) {
    auto* c = std::get_if<Concat>(&el.key);
    if (!c)
        throw std::invalid_argument("set " + def.name + ": an element is not a concatenation");
    auto start = concatBytes(def.concat, *c, false, def.interval);
    auto* e = nftnl_set_elem_alloc();
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, start.data(), uint32_t(start.size()));
    if (def.interval) {
        auto end = concatBytes(def.concat, *c, true, true);
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, end.data(), uint32_t(end.size()));
    }
    if (el.data)
        setData(e, *el.data);
    nftnl_set_elem_add(s, e);
}

void addElement(nftnl_set* s, const Set& def, const Element& el) {
    if (!def.concat.empty())
        return addConcatElement(s, def, el);
    bool top = false;
    auto start = keyBytes(def.keyType, el.key, false, top);
    auto* e = nftnl_set_elem_alloc();
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, start.data(), uint32_t(start.size()));
    if (el.data)
        setData(e, *el.data);
    nftnl_set_elem_add(s, e);
    if (!def.interval)
        return;
    auto end = keyBytes(def.keyType, el.key, true, top);
    if (top)
        return;  // the interval runs to the end of the address space
    auto* x = nftnl_set_elem_alloc();
    nftnl_set_elem_set(x, NFTNL_SET_ELEM_KEY, end.data(), uint32_t(end.size()));
    nftnl_set_elem_set_u32(x, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
    nftnl_set_elem_add(s, x);
}

// nft's byte order of a type's values (1 host, 2 big endian), which it reads from the set's
// userdata to print elements; marks and interface names are host order.
uint32_t byteOrder(DataType t) {
    return t == DataType::Mark || t == DataType::IfName ? 1 : 2;
}

void setUserdata(nftnl_set* st, const Set& s) {
    UdataPtr ud(nftnl_udata_buf_alloc(64));
    // A concatenation has no single byte order: nft stores none (0) and takes each field's.
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER,
                        s.concat.empty() ? byteOrder(s.keyType) : 0);
    if (s.dataType && *s.dataType != DataType::Verdict)
        nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATABYTEORDER, byteOrder(*s.dataType));
    nftnl_set_set_data(st, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.get()),
                       nftnl_udata_buf_len(ud.get()));
}

}  // namespace

uint32_t typeId(DataType t) {
    switch (t) {
        case DataType::Ipv4Addr:
            return 7;
        case DataType::Ipv6Addr:
            return 8;
        case DataType::InetService:
            return 13;
        case DataType::InetProto:
            return 12;
        case DataType::Mark:
            return 19;
        case DataType::IfName:
            return 41;
        case DataType::Verdict:
            return NFT_DATA_VERDICT;
    }
    return 0;
}

uint32_t typeLen(DataType t) {
    switch (t) {
        case DataType::Ipv4Addr:
            return 4;
        case DataType::Ipv6Addr:
            return 16;
        case DataType::InetService:
            return 2;
        case DataType::InetProto:
            return 1;
        case DataType::Mark:
            return 4;
        case DataType::IfName:
            return IFNAMSIZ;
        case DataType::Verdict:
            return 0;
    }
    return 0;
}

BatchMessage newTable(const Target& t, const std::string& owner, uint32_t flags) {
    return {"table " + where(t),
            [t, owner, flags](nlmsghdr* nlh) {
                TablePtr tb(nftnl_table_alloc());
                nftnl_table_set_str(tb.get(), NFTNL_TABLE_NAME, t.table.c_str());
                nftnl_table_set_u32(tb.get(), NFTNL_TABLE_FLAGS, flags);
                UdataPtr ud(nftnl_udata_buf_alloc(256));
                nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_TABLE_COMMENT, ownerTag(owner).c_str());
                nftnl_table_set_data(tb.get(), NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud.get()),
                                     nftnl_udata_buf_len(ud.get()));
                nftnl_table_nlmsg_build_payload(nlh, tb.get());
            },
            NFT_MSG_NEWTABLE, nfproto(t.family), NLM_F_CREATE};
}

BatchMessage delTable(const Target& t) {
    return {"delete table " + where(t),
            [t](nlmsghdr* nlh) {
                TablePtr tb(nftnl_table_alloc());
                nftnl_table_set_str(tb.get(), NFTNL_TABLE_NAME, t.table.c_str());
                nftnl_table_nlmsg_build_payload(nlh, tb.get());
            },
            NFT_MSG_DELTABLE, nfproto(t.family), 0};
}

BatchMessage newChain(const Target& t, const std::string& name, const ChainView& c) {
    return {"chain " + where(t) + " " + name,
            [t, name, c](nlmsghdr* nlh) {
                ChainPtr ch(nftnl_chain_alloc());
                nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, t.table.c_str());
                nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, name.c_str());
                if (c.base) {
                    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_HOOKNUM, hookNum(c.base->hook));
                    nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, c.base->priority);
                    nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE, hookType(c.base->type));
                    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY,
                                        c.base->policy == Verdict::Drop ? NF_DROP : NF_ACCEPT);
                }
                nftnl_chain_nlmsg_build_payload(nlh, ch.get());
            },
            NFT_MSG_NEWCHAIN, nfproto(t.family), NLM_F_CREATE};
}

BatchMessage delChain(const Target& t, const std::string& name) {
    return {"delete chain " + where(t) + " " + name,
            [t, name](nlmsghdr* nlh) {
                ChainPtr ch(nftnl_chain_alloc());
                nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, t.table.c_str());
                nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, name.c_str());
                nftnl_chain_nlmsg_build_payload(nlh, ch.get());
            },
            NFT_MSG_DELCHAIN, nfproto(t.family), 0};
}

BatchMessage flushChain(const Target& t, const std::string& name) {
    return {"flush chain " + where(t) + " " + name,
            [t, name](nlmsghdr* nlh) {
                RulePtr r(nftnl_rule_alloc());
                nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, t.table.c_str());
                nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, name.c_str());
                nftnl_rule_nlmsg_build_payload(nlh, r.get());
            },
            NFT_MSG_DELRULE, nfproto(t.family), 0};
}

BatchMessage newRule(const Target& t, const std::string& chain, const Rule& rule) {
    std::string what = "rule in chain " + where(t) + " " + chain + " (" + ruleSummary(rule) + ")";
    // Translate now, so an inexpressible rule fails before anything is sent.
    auto proto = std::shared_ptr<nftnl_rule>(nftnl_rule_alloc(), nftnl_rule_free);
    appendExprs(proto.get(), rule);
    uint64_t hash = ruleHash(rule);
    return {what,
            [t, chain, rule, proto, hash](nlmsghdr* nlh) {
                nftnl_rule_set_str(proto.get(), NFTNL_RULE_TABLE, t.table.c_str());
                nftnl_rule_set_str(proto.get(), NFTNL_RULE_CHAIN, chain.c_str());
                UdataPtr ud(nftnl_udata_buf_alloc(512));
                if (!rule.comment.empty()) {
                    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_RULE_COMMENT, rule.comment.c_str());
                }
                nftnl_udata_put(ud.get(), kRuleHashUdata, sizeof hash, &hash);
                nftnl_rule_set_data(proto.get(), NFTNL_RULE_USERDATA,
                                    nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
                nftnl_rule_nlmsg_build_payload(nlh, proto.get());
            },
            NFT_MSG_NEWRULE, nfproto(t.family), NLM_F_CREATE | NLM_F_APPEND};
}

BatchMessage newSet(const Target& t, const Set& s, uint32_t id) {
    return {"set " + where(t) + " " + s.name,
            [t, s, id](nlmsghdr* nlh) {
                SetPtr st(nftnl_set_alloc());
                nftnl_set_set_str(st.get(), NFTNL_SET_TABLE, t.table.c_str());
                nftnl_set_set_str(st.get(), NFTNL_SET_NAME, s.name.c_str());
                nftnl_set_set_u32(st.get(), NFTNL_SET_FAMILY, nfproto(t.family));
                uint32_t flags = 0;
                if (s.concat.empty()) {
                    nftnl_set_set_u32(st.get(), NFTNL_SET_KEY_TYPE, typeId(s.keyType));
                    nftnl_set_set_u32(st.get(), NFTNL_SET_KEY_LEN, typeLen(s.keyType));
                } else {
                    nftnl_set_set_u32(st.get(), NFTNL_SET_KEY_TYPE, concatTypeId(s.concat));
                    nftnl_set_set_u32(st.get(), NFTNL_SET_KEY_LEN, concatKeyLen(s.concat));
                    if (s.interval) {
                        // The field lengths let the kernel pick its pipapo set.
                        uint8_t lens[NFT_REG32_COUNT] = {};
                        for (size_t i = 0; i < s.concat.size(); ++i)
                            lens[i] = uint8_t(typeLen(s.concat[i]));
                        nftnl_set_set_data(st.get(), NFTNL_SET_DESC_CONCAT, lens,
                                           uint32_t(s.concat.size()));
                        flags |= NFT_SET_CONCAT;
                    }
                }
                if (s.interval)
                    flags |= NFT_SET_INTERVAL;
                if (s.timeout)
                    flags |= NFT_SET_TIMEOUT;
                if (s.dataType) {
                    flags |= NFT_SET_MAP;
                    nftnl_set_set_u32(st.get(), NFTNL_SET_DATA_TYPE, typeId(*s.dataType));
                    nftnl_set_set_u32(st.get(), NFTNL_SET_DATA_LEN, typeLen(*s.dataType));
                }
                nftnl_set_set_u32(st.get(), NFTNL_SET_FLAGS, flags);
                nftnl_set_set_u32(st.get(), NFTNL_SET_ID, id);
                setUserdata(st.get(), s);
                if (s.timeout)
                    nftnl_set_set_u64(st.get(), NFTNL_SET_TIMEOUT,
                                      uint64_t(s.timeout->count()) * 1000);
                nftnl_set_nlmsg_build_payload(nlh, st.get());
            },
            NFT_MSG_NEWSET, nfproto(t.family), NLM_F_CREATE};
}

BatchMessage delSet(const Target& t, const std::string& name) {
    return {"delete set " + where(t) + " " + name,
            [t, name](nlmsghdr* nlh) {
                SetPtr st(nftnl_set_alloc());
                nftnl_set_set_str(st.get(), NFTNL_SET_TABLE, t.table.c_str());
                nftnl_set_set_str(st.get(), NFTNL_SET_NAME, name.c_str());
                nftnl_set_nlmsg_build_payload(nlh, st.get());
            },
            NFT_MSG_DELSET, nfproto(t.family), 0};
}

BatchMessage newCounter(const Target& t, const std::string& name) {
    return {"counter " + where(t) + " " + name,
            [t, name](nlmsghdr* nlh) {
                ObjPtr o(nftnl_obj_alloc());
                nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, t.table.c_str());
                nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, name.c_str());
                nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
                nftnl_obj_set_u64(o.get(), NFTNL_OBJ_CTR_PKTS, 0);
                nftnl_obj_set_u64(o.get(), NFTNL_OBJ_CTR_BYTES, 0);
                nftnl_obj_nlmsg_build_payload(nlh, o.get());
            },
            NFT_MSG_NEWOBJ, nfproto(t.family), NLM_F_CREATE};
}

BatchMessage delCounter(const Target& t, const std::string& name) {
    return {"delete counter " + where(t) + " " + name,
            [t, name](nlmsghdr* nlh) {
                ObjPtr o(nftnl_obj_alloc());
                nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, t.table.c_str());
                nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, name.c_str());
                nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
                nftnl_obj_nlmsg_build_payload(nlh, o.get());
            },
            NFT_MSG_DELOBJ, nfproto(t.family), 0};
}

std::vector<BatchMessage> setElements(const Target& t, const Set& def,
                                      std::vector<Element> elements, bool add, size_t perMessage) {
    std::vector<BatchMessage> out;
    Set meta = def;  // each message needs the set's type, not its (possibly 100k) elements
    meta.elements.clear();
    for (size_t i = 0; i < elements.size(); i += perMessage) {
        // Moved, not copied: at 100,000 elements a second copy is felt in weftd's peak memory.
        std::vector<Element> part(
            std::make_move_iterator(elements.begin() + long(i)),
            std::make_move_iterator(elements.begin() +
                                    long(std::min(elements.size(), i + perMessage))));
        std::string what = std::string(add ? "add " : "delete ") + std::to_string(part.size()) +
                           " element(s) of set " + where(t) + " " + def.name;
        if (part.size() == 1) {
            if (auto* p = std::get_if<Prefix>(&part[0].key))
                what += " (" + p->str() + ")";
            if (auto* c = std::get_if<Concat>(&part[0].key))
                what += " (" + concatText(*c) + ")";
        }
        size_t count = part.size();  // before `part` moves into the builder
        out.push_back({what,
                       [t, meta, part = std::move(part)](nlmsghdr* nlh) {
                           SetPtr st(nftnl_set_alloc());
                           nftnl_set_set_str(st.get(), NFTNL_SET_TABLE, t.table.c_str());
                           nftnl_set_set_str(st.get(), NFTNL_SET_NAME, meta.name.c_str());
                           for (auto& e : part)
                               addElement(st.get(), meta, e);
                           nftnl_set_elems_nlmsg_build_payload(nlh, st.get());
                       },
                       uint16_t(add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM), nfproto(t.family),
                       uint16_t(add ? NLM_F_CREATE : 0), unsigned(count), count});
    }
    return out;
}

}  // namespace weft::kernel::nft
