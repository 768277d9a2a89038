#include "nft_read.hpp"

#include <arpa/inet.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>

#include "nft_concat.hpp"
#include "nft_elements.hpp"
#include "nft_messages.hpp"

namespace weft::kernel::nft {

using namespace weft::nft;

namespace {

std::string udataComment(const void* data, uint32_t len, uint8_t type) {
    std::string out;
    struct Ctx {
        uint8_t type;
        std::string* out;
    } ctx{type, &out};
    nftnl_udata_parse(
        data, len,
        [](const nftnl_udata* a, void* d) -> int {
            auto* c = static_cast<Ctx*>(d);
            if (nftnl_udata_type(a) == c->type) {
                auto* v = static_cast<const char*>(nftnl_udata_get(a));
                *c->out = std::string(v, strnlen(v, nftnl_udata_len(a)));
            }
            return 0;
        },
        &ctx);
    return out;
}

uint64_t udataHash(const void* data, uint32_t len) {
    uint64_t h = 0;
    nftnl_udata_parse(
        data, len,
        [](const nftnl_udata* a, void* d) -> int {
            if (nftnl_udata_type(a) == kRuleHashUdata && nftnl_udata_len(a) == sizeof(uint64_t)) {
                std::memcpy(d, nftnl_udata_get(a), sizeof(uint64_t));
            }
            return 0;
        },
        &h);
    return h;
}

std::optional<DataType> typeFrom(uint32_t id) {
    for (auto t : {DataType::Ipv4Addr, DataType::Ipv6Addr, DataType::InetService,
                   DataType::InetProto, DataType::Mark, DataType::IfName, DataType::Verdict}) {
        if (typeId(t) == id)
            return t;
    }
    return std::nullopt;
}

std::optional<BaseChain> baseOf(nftnl_chain* c) {
    if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
        return std::nullopt;
    BaseChain b;
    switch (nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)) {
        case NF_INET_PRE_ROUTING:
            b.hook = Hook::Prerouting;
            break;
        case NF_INET_LOCAL_IN:
            b.hook = Hook::Input;
            break;
        case NF_INET_FORWARD:
            b.hook = Hook::Forward;
            break;
        case NF_INET_LOCAL_OUT:
            b.hook = Hook::Output;
            break;
        default:
            b.hook = Hook::Postrouting;
            break;
    }
    b.priority = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
    std::string type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
    b.type = type == "route" ? ChainType::Route
             : type == "nat" ? ChainType::Nat
                             : ChainType::Filter;
    b.policy =
        nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP ? Verdict::Drop : Verdict::Accept;
    return b;
}

void readElements(NftSocket& sock, TableFamily family, const std::string& table, Set& def) {
    std::vector<RawElem> raw;
    sock.dump(
        NFT_MSG_GETSETELEM, nfproto(family),
        [&](nlmsghdr* nlh) {
            std::unique_ptr<nftnl_set, void (*)(const nftnl_set*)> s(nftnl_set_alloc(),
                                                                     nftnl_set_free);
            nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
            nftnl_set_set_str(s.get(), NFTNL_SET_NAME, def.name.c_str());
            nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
        },
        [&](const nlmsghdr* nlh) {
            std::unique_ptr<nftnl_set, void (*)(const nftnl_set*)> s(nftnl_set_alloc(),
                                                                     nftnl_set_free);
            if (nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0)
                return;
            auto* it = nftnl_set_elems_iter_create(s.get());
            for (auto* e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
                raw.push_back(rawElement(def, e));
            }
            nftnl_set_elems_iter_destroy(it);
        });
    def.elements = decodeElements(def, std::move(raw));
}

// Calls `each` with every rule of `table` (parsed), for the adoption view and for counters.
void forEachRule(NftSocket& sock, TableFamily family, const std::string& table,
                 const std::function<void(nftnl_rule*)>& each) {
    sock.dump(
        NFT_MSG_GETRULE, nfproto(family),
        [&](nlmsghdr* nlh) {
            std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule*)> r(nftnl_rule_alloc(),
                                                                       nftnl_rule_free);
            nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
            nftnl_rule_nlmsg_build_payload(nlh, r.get());
        },
        [&](const nlmsghdr* nlh) {
            std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule*)> r(nftnl_rule_alloc(),
                                                                       nftnl_rule_free);
            if (nftnl_rule_nlmsg_parse(nlh, r.get()) < 0)
                return;
            if (table != nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE))
                return;
            each(r.get());
        });
}

}  // namespace

std::vector<TableHeader> readTables(NftSocket& sock) {
    std::vector<TableHeader> out;
    sock.dump(NFT_MSG_GETTABLE, NFPROTO_UNSPEC, nullptr, [&](const nlmsghdr* nlh) {
        std::unique_ptr<nftnl_table, void (*)(const nftnl_table*)> t(nftnl_table_alloc(),
                                                                     nftnl_table_free);
        if (nftnl_table_nlmsg_parse(nlh, t.get()) < 0)
            return;
        auto fam = familyFrom(uint16_t(nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY)));
        if (!fam)
            return;
        TableHeader h;
        h.family = *fam;
        h.name = nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME);
        h.flags = nftnl_table_get_u32(t.get(), NFTNL_TABLE_FLAGS);
        h.hasOwner =
            nftnl_table_is_set(t.get(), NFTNL_TABLE_OWNER) && (h.flags & NFT_TABLE_F_OWNER);
        if (nftnl_table_is_set(t.get(), NFTNL_TABLE_USERDATA)) {
            uint32_t len = 0;
            const void* d = nftnl_table_get_data(t.get(), NFTNL_TABLE_USERDATA, &len);
            h.comment = udataComment(d, len, NFTNL_UDATA_TABLE_COMMENT);
        }
        out.push_back(h);
    });
    return out;
}

TableView readTable(NftSocket& sock, TableFamily family, const std::string& name) {
    TableView v;
    v.family = family;
    v.name = name;
    sock.dump(NFT_MSG_GETCHAIN, nfproto(family), nullptr, [&](const nlmsghdr* nlh) {
        std::unique_ptr<nftnl_chain, void (*)(const nftnl_chain*)> c(nftnl_chain_alloc(),
                                                                     nftnl_chain_free);
        if (nftnl_chain_nlmsg_parse(nlh, c.get()) < 0)
            return;
        if (name != nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE))
            return;
        v.chains[nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME)] = ChainView{baseOf(c.get()), {}};
    });
    forEachRule(sock, family, name, [&](nftnl_rule* r) {
        uint64_t h = 0;
        if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
            uint32_t len = 0;
            const void* d = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
            h = udataHash(d, len);
        }
        v.chains[nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)].ruleHashes.push_back(h);
    });
    sock.dump(
        NFT_MSG_GETSET, nfproto(family),
        [&](nlmsghdr* nlh) {
            std::unique_ptr<nftnl_set, void (*)(const nftnl_set*)> s(nftnl_set_alloc(),
                                                                     nftnl_set_free);
            nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, name.c_str());
            nftnl_set_nlmsg_build_payload(nlh, s.get());
        },
        [&](const nlmsghdr* nlh) {
            std::unique_ptr<nftnl_set, void (*)(const nftnl_set*)> s(nftnl_set_alloc(),
                                                                     nftnl_set_free);
            if (nftnl_set_nlmsg_parse(nlh, s.get()) < 0)
                return;
            if (name != nftnl_set_get_str(s.get(), NFTNL_SET_TABLE))
                return;
            Set def;
            def.name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
            uint32_t flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS);
            uint32_t keyType = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE);
            def.concat = concatTypesFrom(keyType);
            if (def.concat.empty())
                def.keyType = typeFrom(keyType).value_or(DataType::Mark);
            def.interval = flags & NFT_SET_INTERVAL;
            if (flags & NFT_SET_MAP)
                def.dataType = typeFrom(nftnl_set_get_u32(s.get(), NFTNL_SET_DATA_TYPE));
            if (flags & NFT_SET_TIMEOUT) {
                def.timeout =
                    std::chrono::seconds(nftnl_set_get_u64(s.get(), NFTNL_SET_TIMEOUT) / 1000);
            }
            v.sets[def.name] = def;
        });
    for (auto& [n, def] : v.sets)
        readElements(sock, family, name, def);
    for (auto& [n, value] : readNamedCounters(sock, family, name))
        v.counters.insert(n);
    return v;
}

std::map<std::string, CounterValue> readNamedCounters(NftSocket& sock, TableFamily family,
                                                      const std::string& table) {
    std::map<std::string, CounterValue> out;
    sock.dump(
        NFT_MSG_GETOBJ, nfproto(family),
        [&](nlmsghdr* nlh) {
            std::unique_ptr<nftnl_obj, void (*)(const nftnl_obj*)> o(nftnl_obj_alloc(),
                                                                     nftnl_obj_free);
            nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, table.c_str());
            nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
            nftnl_obj_nlmsg_build_payload(nlh, o.get());
        },
        [&](const nlmsghdr* nlh) {
            std::unique_ptr<nftnl_obj, void (*)(const nftnl_obj*)> o(nftnl_obj_alloc(),
                                                                     nftnl_obj_free);
            if (nftnl_obj_nlmsg_parse(nlh, o.get()) < 0)
                return;
            if (table != nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE) ||
                nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER)
                return;
            out[nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME)] = {
                nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_PKTS),
                nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_BYTES)};
        });
    return out;
}

std::vector<RuleCounter> readCounters(NftSocket& sock, TableFamily family,
                                      const std::string& table) {
    std::vector<RuleCounter> out;
    forEachRule(sock, family, table, [&](nftnl_rule* r) {
        RuleCounter c;
        c.table = table;
        c.chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
        if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
            uint32_t len = 0;
            const void* d = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
            c.comment = udataComment(d, len, NFTNL_UDATA_RULE_COMMENT);
        }
        bool found = false;
        auto* it = nftnl_expr_iter_create(r);
        for (auto* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
            if (std::string(nftnl_expr_get_str(e, NFTNL_EXPR_NAME)) == "counter") {
                c.packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
                c.bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
                found = true;
            }
        }
        nftnl_expr_iter_destroy(it);
        if (found)
            out.push_back(c);
    });
    return out;
}

}  // namespace weft::kernel::nft
