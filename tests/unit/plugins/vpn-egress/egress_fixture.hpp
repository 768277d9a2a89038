// Shared helpers for the vpn-egress unit tests: a temporary directory with WireGuard key
// files, config parsing through the core's config layer, and lookups in a DesiredState.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_loader.hpp"
#include "egress_schema.hpp"
#include "fake_host.hpp"
#include "weft/wireguard_key.hpp"

namespace weft::egress::test {

namespace fs = std::filesystem;
using Rows = std::vector<std::map<std::string, std::string>>;

inline Config parse(const std::string& text) {
    return config::parseText(text, "vpn-egress.conf", egressSchema());
}

inline Prefix P(const char* text) {
    return *Prefix::parse(text);
}
inline Address A(const char* text) {
    return *Address::parse(text);
}

/// A fresh temporary directory, removed with the test.
class TempDirTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "weft-egress-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir = pattern;
    }
    void TearDown() override { fs::remove_all(dir); }

    /// A private key file with `mode` (0600 as `umask 077; wg genkey` writes it); its path.
    std::string keyFile(const std::string& name,
                        fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
        auto p = dir / name;
        std::string key = wg::generatePrivateKey();
        std::ofstream(p) << key << "\n";
        fs::permissions(p, mode);
        keys[name] = key;
        return p.string();
    }

    fs::path dir;
    std::map<std::string, std::string> keys;  ///< key file name -> private key written
};

/// The table's set or map of that name (fails the test if missing).
inline const nft::Set& setOf(const nft::Table& t, const std::string& name) {
    for (auto& s : t.sets) {
        if (s.name == name)
            return s;
    }
    ADD_FAILURE() << "no set " << name;
    static const nft::Set none;
    return none;
}

/// The elements of an interval set of prefixes, as a PrefixSet.
inline PrefixSet prefixesOf(const nft::Set& s) {
    std::vector<Prefix> out;
    for (auto& e : s.elements)
        out.push_back(std::get<Prefix>(e.key));
    return PrefixSet(out);
}

/// The names in a set of interface names, in order.
inline std::vector<std::string> namesOf(const nft::Set& s) {
    std::vector<std::string> out;
    for (auto& e : s.elements)
        out.push_back(std::get<std::string>(e.key));
    return out;
}

/// The bucket map as bucket -> mark.
inline std::map<uint32_t, uint32_t> bucketMap(const DesiredState& d) {
    std::map<uint32_t, uint32_t> out;
    for (auto& e : setOf(d.tables.at(0), "buckets").elements)
        out[std::get<uint32_t>(e.key)] = std::get<uint32_t>(*e.data);
    return out;
}

inline const nft::Chain* chainOf(const nft::Table& t, const std::string& name) {
    for (auto& c : t.chains) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

/// Every rule of the table holding an expression of type T, with a pointer to that expression.
template <class T>
std::vector<std::pair<const nft::Rule*, const T*>> rulesWith(const nft::Table& t) {
    std::vector<std::pair<const nft::Rule*, const T*>> out;
    for (auto& c : t.chains) {
        for (auto& r : c.rules) {
            for (auto& e : r.exprs) {
                if (auto* x = std::get_if<T>(&e))
                    out.emplace_back(&r, x);
            }
        }
    }
    return out;
}

/// The first expression of type T in a rule, or null.
template <class T>
const T* exprOf(const nft::Rule& r) {
    for (auto& e : r.exprs) {
        if (auto* x = std::get_if<T>(&e))
            return x;
    }
    return nullptr;
}

}  // namespace weft::egress::test
