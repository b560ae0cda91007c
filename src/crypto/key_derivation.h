// Key derivation: password → format key (kopia-format.md §2.2), HKDF purposes (§3), and the
// single-shot primitives (HMAC, AES-256-GCM with additional data) the format blobs use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::crypto {

inline constexpr std::string_view kDefaultKeyDerivationAlgorithm = "scrypt-65536-8-1";

// "scrypt-65536-8-1" and "pbkdf2-sha256-600000".
const std::vector<std::string>& KeyDerivationAlgorithmNames();

// formatKey = KDF(password, salt = uniqueID) for the named keyAlgo; 32 bytes.
// Unknown names are InvalidArgument; salts under 16 bytes are refused (as kopia HEAD does).
Result<Bytes> DeriveFormatKey(std::string_view key_algo, std::string_view password, ByteView salt);

// Primitives (RFC 7914, RFC 8018, RFC 5869, RFC 2104), thin wrappers over OpenSSL 3.
Result<Bytes> Scrypt(std::string_view password, ByteView salt, uint64_t n, uint32_t r, uint32_t p,
                     size_t length);
Result<Bytes> Pbkdf2HmacSha256(std::string_view password, ByteView salt, uint32_t iterations,
                               size_t length);
// HKDF-SHA256 extract + expand.
Result<Bytes> Hkdf(ByteView ikm, ByteView salt, ByteView info, size_t length);
Bytes HmacSha256(ByteView key, ByteView message);

// kopia "DeriveKeyFromMasterKey": HKDF(ikm = key, salt = uniqueID, info = purpose).
Result<Bytes> DeriveKeyFromMasterKey(ByteView key, ByteView unique_id, std::string_view purpose,
                                     size_t length);

// AES-256-GCM with additional data, stored as nonce(12) || ciphertext || tag(16): the cipher of
// the format blob, kopia.blobcfg and kopia.maintenance. A random nonce unless one is given.
Result<Bytes> AesGcmSeal(ByteView key, ByteView plaintext, ByteView aad, ByteView nonce = {});
// Authentication failure is Status::Authentication.
Result<Bytes> AesGcmOpen(ByteView key, ByteView sealed, ByteView aad);

}  // namespace ferry::crypto
