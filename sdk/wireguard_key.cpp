#include "weft/wireguard_key.hpp"

#include <openssl/evp.h>
#include <sys/random.h>

#include <memory>
#include <stdexcept>

namespace weft::wg {

static const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encodeKey(const RawKey& k) {
    std::string out;
    for (size_t i = 0; i < 32; i += 3) {
        uint32_t v = uint32_t(k[i]) << 16;
        if (i + 1 < 32)
            v |= uint32_t(k[i + 1]) << 8;
        if (i + 2 < 32)
            v |= k[i + 2];
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += i + 1 < 32 ? kB64[(v >> 6) & 63] : '=';
        out += i + 2 < 32 ? kB64[v & 63] : '=';
    }
    return out;
}

std::optional<RawKey> decodeKey(std::string_view s) {
    if (s.size() != 44 || s[43] != '=' || s[42] == '=')
        return std::nullopt;
    RawKey k{};
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < 43; ++i) {
        const char* p = std::char_traits<char>::find(kB64, 64, s[i]);
        if (!p)
            return std::nullopt;
        acc = (acc << 6) | uint32_t(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n < 32)
                k[n++] = uint8_t(acc >> bits);
        }
    }
    if (n != 32 || (acc & ((1u << bits) - 1)) != 0)
        return std::nullopt;  // non-canonical padding bits
    return k;
}

bool isValidKey(std::string_view s) {
    return decodeKey(s).has_value();
}

std::string keyToHex(const RawKey& k) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (auto b : k) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

std::optional<RawKey> hexToKey(std::string_view h) {
    if (h.size() != 64)
        return std::nullopt;
    RawKey k{};
    auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < 32; ++i) {
        int a = nib(h[2 * i]), b = nib(h[2 * i + 1]);
        if (a < 0 || b < 0)
            return std::nullopt;
        k[i] = uint8_t(a << 4 | b);
    }
    return k;
}

std::string generatePrivateKey() {
    RawKey k{};
    size_t got = 0;
    while (got < k.size()) {
        ssize_t n = getrandom(k.data() + got, k.size() - got, 0);
        if (n < 0)
            throw std::runtime_error("getrandom failed");
        got += size_t(n);
    }
    k[0] &= 248;
    k[31] = uint8_t((k[31] & 127) | 64);
    return encodeKey(k);
}

std::optional<std::string> publicKeyFor(const std::string& privateBase64) {
    auto priv = decodeKey(privateBase64);
    if (!priv)
        return std::nullopt;
    std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> pkey(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv->data(), priv->size()),
        EVP_PKEY_free);
    if (!pkey)
        return std::nullopt;
    RawKey pub{};
    size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len) != 1 || len != 32)
        return std::nullopt;
    return encodeKey(pub);
}

}  // namespace weft::wg
