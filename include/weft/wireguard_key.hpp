// weft plugin SDK: WireGuard keys (Curve25519), in WireGuard's base64 form.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace weft::wg {

using RawKey = std::array<uint8_t, 32>;

/// A new private key from the kernel's CSPRNG, clamped as Curve25519 requires.
std::string generatePrivateKey();
/// The public key of a private key; nullopt if `privateBase64` is not a key.
std::optional<std::string> publicKeyFor(const std::string& privateBase64);
/// 44 characters of base64 that decode to exactly 32 bytes.
bool isValidKey(std::string_view base64);
std::optional<RawKey> decodeKey(std::string_view base64);
std::string encodeKey(const RawKey& key);
/// Lower-case hex, as the cross-platform UAPI wants it.
std::string keyToHex(const RawKey& key);
std::optional<RawKey> hexToKey(std::string_view hex);

}  // namespace weft::wg
